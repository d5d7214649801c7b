import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectCaptionFormat, importCaptions } from '../../../functions/transcribe/import-captions.ts';
import { parseJson3 } from '../../../functions/transcribe/parse-json3.ts';
import { parseWebVtt } from '../../../functions/transcribe/parse-webvtt.ts';
import { Transcript } from '../../../functions/transcribe/transcript.ts';

const FORMATS = '/work/shared/formats';
const samples = readdirSync(FORMATS).filter((f) => /^(vtt_|json3_|srt_|whisper)/.test(f));
const EXPECTED_FORMAT: Record<string, string> = { vtt: 'vtt', srt: 'srt', json3: 'json3', whisper: 'whisper-json', whisperx: 'whisper-json' };

describe('importCaptions on every shared caption sample', () => {
  it('finds the samples', () => expect(samples.length).toBeGreaterThanOrEqual(10));

  it.each(samples)('%s', async (file) => {
    const t = await importCaptions({ path: join(FORMATS, file) });
    expect(Transcript.safeParse(t).success).toBe(true);
    expect(t.config.format).toBe(EXPECTED_FORMAT[file.split('_')[0]!]);
    expect(t.words.length).toBeGreaterThan(0);
    for (const [i, w] of t.words.entries()) {
      expect(w.word).toMatch(/^\S+$/);
      expect(w.end_ms).toBeGreaterThanOrEqual(w.start_ms);
      expect(typeof w.norm).toBe('string');
      if (i > 0) expect(w.start_ms).toBeGreaterThanOrEqual(t.words[i - 1]!.start_ms);
    }
    expect(t.segments.map((s) => s.id)).toEqual(t.segments.map((_, i) => i));
  });
});

describe('format quirks', () => {
  it('YouTube rolling WebVTT: inline tags time words, repeated lines are not words twice', async () => {
    const t = await importCaptions({ path: join(FORMATS, 'vtt_youtube_auto_wordlevel_webvtt_py.vtt') });
    expect(t.config.word_timing).toBe('word');
    expect(t.words.map((w) => w.word)).toEqual(['yeah', 'what', 'this', 'will', 'happen', 'is', "I'm", 'telling']);
    expect(t.words.find((w) => w.word === 'will')?.start_ms).toBe(5 * 60_000 + 4_199);
    expect(t.words.find((w) => w.word === 'this')?.start_ms).toBe(5 * 60_000 + 4_080);
  });

  it('json3: word start = tStartMs + tOffsetMs, the first seg without offset, no newline words', async () => {
    const t = await importCaptions({ path: join(FORMATS, 'json3_youtube_asr_excerpt_xiaoyumu.json3') });
    expect(t.words.slice(0, 3).map((w) => [w.word, w.start_ms, w.end_ms])).toEqual([
      ['today', 40, 280],
      ["we're", 280, 440],
      ['going', 440, 560],
    ]);
    expect(t.words.every((w) => w.confidence === null)).toBe(true);
  });

  it('whisper-timestamped words use `text` and `confidence`; WhisperX `score`; openai `probability`', async () => {
    const apollo = await importCaptions({ path: join(FORMATS, 'whisper_timestamped_large_apollo11.words.json') });
    expect(apollo.words[0]).toMatchObject({ word: 'Apollo', start_ms: 360, end_ms: 920, confidence: 0.791, norm: 'apollo' });
    expect(apollo.words[1]).toMatchObject({ word: '11,', norm: 'eleven' });
    const wx = await importCaptions({ path: join(FORMATS, 'whisperx_reference_transcription.json') });
    expect(wx.words[0]).toMatchObject({ word: 'Okay,', start_ms: 151, confidence: 0.672 });
    const oa = await importCaptions({ path: join(FORMATS, 'whisper_openai_word_timestamps_qWVTjMsv7AE_first60s.json') });
    expect(oa.words[0]).toMatchObject({ word: 'The', start_ms: 0, end_ms: 260 });
  });

  it('SRT and manual WebVTT spread words over their cue; entities decoded; French marks join their word', async () => {
    const srt = await importCaptions({ path: join(FORMATS, 'srt_youtube_transcript_qWVTjMsv7AE.srt') });
    expect(srt.config.word_timing).toBe('interpolated');
    expect(srt.words[0]).toMatchObject({ word: 'The', start_ms: 80, confidence: null });
    const manual = await importCaptions({ path: join(FORMATS, 'vtt_youtube_manual_export_wizardtim.vtt') });
    expect(manual.words.some((w) => w.word.includes('&nbsp;'))).toBe(false);
    const fr = await importCaptions({ path: join(FORMATS, 'vtt_whisper_timestamped_wordcues_fr.vtt') });
    expect(fr.words.map((w) => w.word)).toContain('vole?');
  });

  it('WebVTT without hours and json3 with missing fields', () => {
    expect(parseWebVtt('WEBVTT\n\n01:02.500 --> 01:03.000\nhi\n').words[0]).toMatchObject({ start_ms: 62_500, end_ms: 63_000 });
    expect(() => parseJson3({ events: [{ segs: [] }] })).toThrow();
  });

  it('detects formats from content before the extension', () => {
    expect(detectCaptionFormat('x.json', '{"wireMagic":"pb3","events":[]}')).toBe('json3');
    expect(detectCaptionFormat('x.txt', '1\n00:00:00,080 --> 00:00:03,760\nhi\n')).toBe('srt');
    expect(detectCaptionFormat('x.txt', 'hello')).toBeNull();
  });

  it('names the file when it cannot be read as captions', async () => {
    await expect(importCaptions({ path: join(FORMATS, 'README.md') })).rejects.toThrow(/README\.md: unknown caption format/);
    await expect(importCaptions({ path: '/nope/missing.vtt' })).rejects.toThrow(/missing\.vtt: cannot read/);
  });
});
