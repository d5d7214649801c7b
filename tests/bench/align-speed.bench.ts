/**
 * Alignment speed on a 6-hour synthetic VOD (about 150k messages).
 *   npx tsx tests/bench/align-speed.bench.ts [--hours 6]
 * The baseline, measured in the same run, is the least any aligner must do: sort both inputs by
 * time and scan every message and word once, tokenising its text.
 */
import { align } from '../../functions/align/align.ts';
import { tokenize } from '../../functions/align/tokens.ts';
import { benchStream } from './align-streams.ts';

const hoursArg = process.argv.indexOf('--hours');
const HOURS = hoursArg > 0 ? Number(process.argv[hoursArg + 1]) : 6;

const { stream, messages } = await benchStream({
  seed: 21,
  durationMs: HOURS * 3_600_000,
  lagSchedule: [{ from_ms: 0, lag_ms: 5_000 }, { from_ms: HOURS * 1_800_000, lag_ms: 8_000 }],
  wholeSecondOffsets: true,
  // About 7.5 messages a second: 150k over six hours.
  viewers: 550,
});
const words = stream.transcript.words;

let started = performance.now();
const sortedMessages = messages.slice().sort((a, b) => a.offset_ms - b.offset_ms);
const sortedWords = words.slice().sort((a, b) => a.start_ms - b.start_ms);
let tokens = 0;
for (const m of sortedMessages) tokens += tokenize(m.text).length;
for (const w of sortedWords) tokens += tokenize(w.word).length;
const baselineMs = performance.now() - started;

started = performance.now();
const result = align(messages, words, { vodId: stream.vodId });
const alignMs = performance.now() - started;

process.stdout.write(
  `align ${HOURS} h VOD: ${messages.length} messages, ${words.length} words -> ${result.pairs.length} pairs, ${result.rejects.length} rejects, ${result.offsets.length} lag segments\n` +
    `align ${(alignMs / 1000).toFixed(2)} s; sort+scan baseline ${(baselineMs / 1000).toFixed(2)} s (${tokens} tokens); ratio ${(alignMs / baselineMs).toFixed(1)}x\n`,
);
process.stdout.write(
  `${JSON.stringify({ bench: 'align-speed', hours: HOURS, messages: messages.length, words: words.length, align_ms: Math.round(alignMs), baseline_ms: Math.round(baselineMs), ratio: Math.round((alignMs / baselineMs) * 10) / 10, under_a_minute: alignMs < 60_000 })}\n`,
);
