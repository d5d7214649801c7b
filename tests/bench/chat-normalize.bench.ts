/**
 * Chat normalization benchmark: `npx tsx tests/bench/chat-normalize.bench.ts [--messages N] [--keep]`.
 *
 * Generates a TwitchDownloader chat file of N messages (default 1,000,000), then measures, each in
 * its own child process so peak memory is the process's own:
 *   baseline   DuckDB merely parsing the same file (read_json + unnest(comments) + count)
 *   normalize  normalizeChat(file → Parquet), the full pipeline
 * and prints the normalizer's figures as ratios to the baseline measured in the same run.
 * Budgets: time ≤ 3× the baseline, peak RSS < 2 GiB. Exit code 1 when a budget is missed.
 * Use `--messages 20000` for a run of a few seconds.
 */
import { execa } from 'execa';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TIME_BUDGET = 3;
const RSS_BUDGET_BYTES = 2 * 1024 ** 3;

interface ChildFigures {
  ms: number;
  maxRssBytes: number;
  detail: Record<string, unknown>;
}

function argValue(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

async function child(mode: 'baseline' | 'normalize', file: string, out: string): Promise<void> {
  let detail: Record<string, unknown>;
  const started = performance.now();
  if (mode === 'baseline') {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const size = statSync(file).size + (1 << 20);
    const reader = await connection.runAndReadAll(
      `SELECT count(*) AS n FROM (SELECT unnest(comments) FROM read_json('${file}', maximum_object_size = ${size}))`,
    );
    detail = { rows: Number(reader.getRows()[0]?.[0]) };
    connection.closeSync();
    instance.closeSync();
  } else {
    const { normalizeChat } = await import('../../functions/chat/normalize-chat.ts');
    const result = await normalizeChat({ input: file, out });
    detail = { accepted: result.accepted, rejected: result.rejected, offsetSource: result.offsetSource };
  }
  const ms = performance.now() - started;
  // maxRSS is in KiB on Linux.
  const figures: ChildFigures = { ms, maxRssBytes: process.resourceUsage().maxRSS * 1024, detail };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

async function measure(mode: 'baseline' | 'normalize', file: string, out: string): Promise<ChildFigures> {
  const self = fileURLToPath(import.meta.url);
  const run = await execa(process.execPath, ['--import', 'tsx', self, '--child', mode, file, out], { reject: false });
  if (run.exitCode !== 0) throw new Error(`${mode} child failed (exit ${run.exitCode}): ${run.stderr.split('\n').slice(-5).join(' ')}`);
  const line = run.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildFigures;
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const messages = Number(argValue('--messages') ?? 1_000_000);
  if (!Number.isInteger(messages) || messages <= 0) throw new Error('--messages must be a positive integer');
  const dir = mkdtempSync(join(tmpdir(), 'dougpt-chat-bench-'));
  try {
    const { writeTwitchDownloaderFile } = await import('./chat-generate.ts');
    const file = join(dir, 'chat.json');
    const genStart = performance.now();
    const facts = await writeTwitchDownloaderFile(file, { messages, duplicates: Math.floor(messages / 1000), outOfOrder: true });
    process.stdout.write(`generated ${facts.records} records (${(facts.bytes / 1048576).toFixed(1)} MiB TwitchDownloader JSON) in ${sec(performance.now() - genStart)}\n`);

    const baseline = await measure('baseline', file, '');
    process.stdout.write(`baseline  DuckDB parse only       ${sec(baseline.ms)}  peak RSS ${gib(baseline.maxRssBytes)}  rows ${String(baseline.detail.rows)}\n`);
    const normalize = await measure('normalize', file, join(dir, 'out.parquet'));
    process.stdout.write(`normalize normalizeChat → Parquet ${sec(normalize.ms)}  peak RSS ${gib(normalize.maxRssBytes)}  ${JSON.stringify(normalize.detail)}\n`);

    const timeRatio = normalize.ms / baseline.ms;
    const rssRatio = normalize.maxRssBytes / baseline.maxRssBytes;
    const timeOk = timeRatio <= TIME_BUDGET;
    const rssOk = normalize.maxRssBytes < RSS_BUDGET_BYTES;
    const accountedOk = normalize.detail.accepted === messages && normalize.detail.rejected === facts.duplicates;
    process.stdout.write(`time      ${timeRatio.toFixed(2)}× baseline (budget ≤ ${TIME_BUDGET}×)  ${timeOk ? 'ok' : 'OVER'}\n`);
    process.stdout.write(`memory    ${rssRatio.toFixed(2)}× baseline RSS, ${gib(normalize.maxRssBytes)} (budget < ${gib(RSS_BUDGET_BYTES)})  ${rssOk ? 'ok' : 'OVER'}\n`);
    process.stdout.write(`records   ${String(normalize.detail.accepted)} accepted, ${String(normalize.detail.rejected)} rejected (expected ${messages} and ${facts.duplicates} duplicates)  ${accountedOk ? 'ok' : 'WRONG'}\n`);
    process.stdout.write(`${JSON.stringify({
      bench: 'chat-normalize',
      messages,
      input_bytes: facts.bytes,
      baseline_ms: Math.round(baseline.ms),
      normalize_ms: Math.round(normalize.ms),
      time_ratio: Number(timeRatio.toFixed(3)),
      baseline_max_rss_bytes: baseline.maxRssBytes,
      normalize_max_rss_bytes: normalize.maxRssBytes,
      rss_ratio: Number(rssRatio.toFixed(3)),
      messages_per_second: Math.round(messages / (normalize.ms / 1000)),
      time_ok: timeOk,
      rss_ok: rssOk,
      records_ok: accountedOk,
    })}\n`);
    const ok = timeOk && rssOk && accountedOk;
    process.stdout.write(ok ? 'chat-normalize bench: all budgets met\n' : 'chat-normalize bench: BUDGET MISSED\n');
    if (!ok) process.exitCode = 1;
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  await child(process.argv[childAt + 1] as 'baseline' | 'normalize', process.argv[childAt + 2]!, process.argv[childAt + 3]!);
} else {
  await main();
}
