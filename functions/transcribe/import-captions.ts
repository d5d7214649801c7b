import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { z } from 'zod';
import { addWordNorms } from './add-word-norms.ts';
import type { ParsedCaptions } from './caption-words.ts';
import { parseJson3 } from './parse-json3.ts';
import { parseSrt } from './parse-srt.ts';
import { parseWebVtt } from './parse-webvtt.ts';
import { parseWhisperJson } from './parse-whisper-json.ts';
import { Transcript } from './transcript.ts';

export const CAPTION_FORMATS = ['vtt', 'srt', 'json3', 'whisper-json'] as const;
export type CaptionFormat = (typeof CAPTION_FORMATS)[number];

export const ImportCaptionsInput = z.object({
  path: z.string().min(1),
  format: z.enum(['auto', ...CAPTION_FORMATS]).default('auto'),
});
export type ImportCaptionsInput = z.input<typeof ImportCaptionsInput>;
export const ImportCaptionsOutput = Transcript;
export type ImportCaptionsOutput = Transcript;

/** A caption file the importer cannot read: names the file. */
export class CaptionFormatError extends Error {
  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
    this.name = 'CaptionFormatError';
  }
}

/** Format from the content first (extensions lie: .json holds json3 or Whisper), the extension second. */
export function detectCaptionFormat(path: string, text: string): CaptionFormat | null {
  const head = text.replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('WEBVTT')) return 'vtt';
  if (head.startsWith('{') || head.startsWith('[')) {
    if (/"wireMagic"\s*:|"events"\s*:\s*\[/.test(head.slice(0, 4000))) return 'json3';
    return 'whisper-json';
  }
  if (/^\d+\s*\r?\n\s*\d+:\d{2}:\d{2},\d{1,3}\s+-->/.test(head)) return 'srt';
  const byExtension: Record<string, CaptionFormat> = { '.vtt': 'vtt', '.srt': 'srt', '.json3': 'json3' };
  return byExtension[extname(path).toLowerCase()] ?? null;
}

const PARSERS: Record<CaptionFormat, (text: string) => ParsedCaptions> = {
  vtt: parseWebVtt,
  srt: parseSrt,
  json3: (text) => parseJson3(JSON.parse(text)),
  'whisper-json': (text) => parseWhisperJson(JSON.parse(text)),
};

/**
 * Reads existing captions or a Whisper-family transcript as a Transcript (backend 'captions', words with norms),
 * sorted by start time.
 *
 * @example
 * const transcript = await importCaptions({ path: 'vod.en.vtt' });
 */
export async function importCaptions(input: ImportCaptionsInput): Promise<ImportCaptionsOutput> {
  const { path, format } = ImportCaptionsInput.parse(input);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CaptionFormatError(path, `cannot read captions (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: error,
    });
  }
  const resolved = format === 'auto' ? detectCaptionFormat(path, text) : format;
  if (resolved === null) throw new CaptionFormatError(path, `unknown caption format (one of ${CAPTION_FORMATS.join(', ')})`);
  let parsed: ParsedCaptions;
  try {
    parsed = PARSERS[resolved](text);
  } catch (error) {
    const reason = error instanceof z.ZodError ? error.issues[0]?.message : (error as Error).message;
    throw new CaptionFormatError(path, `not valid ${resolved} (${reason})`, { cause: error });
  }
  if (parsed.words.length === 0) throw new CaptionFormatError(path, `no words found in ${resolved} captions`);
  const words = [...parsed.words].sort((a, b) => a.start_ms - b.start_ms);
  return addWordNorms(
    Transcript.parse({
      words,
      segments: parsed.segments,
      backend: 'captions',
      model: null,
      config: { format: resolved, word_timing: parsed.wordTiming, source: path },
    }),
  );
}
