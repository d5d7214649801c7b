import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createRng } from '../../../functions/sample/prng.ts';

export interface FixturePair {
  pair_id: string;
  vod_id: string;
  message_id: string;
  reply_text: string;
  context_start_ms: number;
  context_end_ms: number;
  context_text: string;
  lag_ms: number;
  score: number;
  tier: 0 | 1 | 2;
  label: 'reaction' | 'background';
  offset_ms: number;
  author_login: string | null;
  chat_sha256: string;
  transcript_sha256: string;
}

const REPLIES = ['LUL', 'no way chat', 'left left left', 'that pigeon again', 'Pog', 'he is cooked', 'W', 'type banana', 'KEKW KEKW',
  'what game is this', 'this will go well', 'bird moment', 'actually insane', 'GG', 'why would you do that', 'chat is this real'];

/**
 * An align output file (`dougpt align` shape) with `minutes` of pairs, a reply every `everyMs`,
 * twenty viewers, some rejects; deterministic for a seed.
 */
export function makeAlignFile(dir: string, vodId: string, options: { minutes?: number; everyMs?: number; seed?: number; extra?: FixturePair[] } = {}): string {
  const rng = createRng(options.seed ?? 1, vodId);
  const rand = () => rng.next();
  const durationMs = (options.minutes ?? 10) * 60_000;
  const every = options.everyMs ?? 1_500;
  const pairs: FixturePair[] = [];
  let n = 0;
  for (let t = 25_000; t < durationMs; t += every) {
    const contextEnd = t - 4_000;
    const reply = REPLIES[Math.floor(rand() * REPLIES.length)] as string;
    const background = rand() < 0.1;
    pairs.push({
      pair_id: `${vodId}-p${n}`,
      vod_id: vodId,
      message_id: `${vodId}-m${n}`,
      reply_text: `${reply}${rand() < 0.5 ? '' : ` ${n}`}`,
      context_start_ms: contextEnd - 15_000,
      context_end_ms: contextEnd,
      context_text: `streamer words at ${Math.round(contextEnd / 1000)} seconds thanks viewer_${n % 20} for the sub`,
      lag_ms: 4_000,
      score: background ? 0.05 : 0.4 + rand() * 0.6,
      tier: background ? 0 : rand() < 0.15 ? 0 : rand() < 0.5 ? 1 : 2,
      label: background ? 'background' : 'reaction',
      offset_ms: t,
      author_login: `viewer_${n % 20}`,
      chat_sha256: `chat-${vodId}`,
      transcript_sha256: `tr-${vodId}`,
    });
    n++;
  }
  pairs.push(...(options.extra ?? []));
  const rejects = [
    { vod_id: vodId, message_id: `${vodId}-bot1`, reason: 'bot', offset_ms: 30_000 },
    { vod_id: vodId, message_id: `${vodId}-cmd1`, reason: 'command', offset_ms: 31_000 },
  ];
  const path = join(dir, `${vodId}.align.json`);
  writeFileSync(path, JSON.stringify({ vod_id: vodId, method: 'echo-lag/1', offsets: [], pairs, rejects, stats: {} }));
  return path;
}

export const tempDir = () => mkdtempSync(join(tmpdir(), 'dougpt-dataset-test-'));

export function readJsonl(path: string): Record<string, unknown>[] {
  const text = readFileSync(path, 'utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}
