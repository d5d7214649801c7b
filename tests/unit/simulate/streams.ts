import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alignChat } from '../../../functions/align/align-chat.ts';
import { simulateStream, type SimulatedStream } from '../../../functions/sample/simulate-stream.ts';

/** Synthetic streams (the sample's simulator, no audio) aligned by the real aligner: align files, transcripts and chat on disk. */
export async function alignedStreams(seeds: readonly number[], durationMs = 300_000): Promise<{ dir: string; streams: Array<{ seed: number; stream: SimulatedStream; align: string; transcript: string; chat: string }> }> {
  const dir = mkdtempSync(join(tmpdir(), 'dougpt-sim-unit-'));
  const streams = [];
  for (const seed of seeds) {
    const stream = simulateStream({ seed, durationMs, lagSchedule: [{ from_ms: 0, lag_ms: 5000 }], wholeSecondOffsets: false });
    const chat = join(dir, `s${seed}.chat.json`);
    const transcript = join(dir, `s${seed}.transcript.json`);
    const align = join(dir, `s${seed}.align.json`);
    writeFileSync(chat, JSON.stringify(stream.chat));
    writeFileSync(transcript, JSON.stringify(stream.transcript));
    await alignChat({ transcript, chat, out: align });
    streams.push({ seed, stream, align, transcript, chat });
  }
  return { dir, streams };
}
