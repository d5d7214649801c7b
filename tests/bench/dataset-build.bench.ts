/**
 * Dataset build at scale: `dougpt dataset build --pairs …` over a million aligned pairs (100 align files of
 * 10,000 pairs, as `dougpt align` writes them) against DuckDB merely copying the same pair rows to Parquet,
 * each in its own child process so peak memory is the process's own:
 *
 *   npx tsx tests/bench/dataset-build.bench.ts [--pairs 1000000] [--files 100] [--keep]
 *
 * Budgets: time ≤ 3× the baseline, peak RSS < 2 GiB. Exit code 1 when a budget is missed.
 * The pairs are synthetic (chat-like texts, 20,000 viewers, Zipf-ish repeats, tiers and labels in the
 * proportions the aligner gives on the sample); the figures hold for inputs of this shape.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createRng } from '../../functions/sample/prng.ts';

const RSS_BUDGET_BYTES = 2 * 1024 ** 3;
const TIME_BUDGET = 3;

interface ChildFigures {
  ms: number;
  /** CPU time of the whole process (DuckDB's threads included): on a shared machine, steadier than wall time. */
  cpuMs: number;
  maxRssBytes: number;
  detail: Record<string, unknown>;
}

const argValue = (name: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};

const WORDS = ('chat left right jump pigeon bird boss penguin tower coins stars ice bridge banana keyboard fault attempt ' +
  'parkour game stream subs love welcome back different swear working doing backseating slow hate').split(' ');
const REPLIES = ['LUL', 'KEKW', 'Pog', 'W', 'L', 'no way', 'left', 'right', 'jump', 'he is cooked', 'this will go well', 'type banana',
  'chat is this real', 'actually insane', 'why would you do that', 'GG', 'bird moment', 'what game is this', 'OMEGALUL', 'Clap'];

/** One align output file of `n` pairs (plus a few rejects), written as `dougpt align` writes it. */
function writeAlignFile(path: string, vodId: string, n: number, seed: number): void {
  const rng = createRng(seed, vodId);
  const pairs: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const t = 20_000 + i * 600 + rng.int(0, 500);
    const end = t - rng.int(2_000, 9_000);
    const words = Array.from({ length: rng.int(12, 50) }, () => WORDS[rng.int(0, WORDS.length - 1)]).join(' ');
    const base = REPLIES[Math.min(REPLIES.length - 1, Math.floor(-Math.log(1 - rng.next()) * 4))] as string;
    const reply = rng.chance(0.5) ? base : `${base} ${WORDS[rng.int(0, WORDS.length - 1)]} ${rng.int(0, 999)}`;
    const background = rng.chance(0.2);
    pairs.push({
      pair_id: `${vodId}-${i}`,
      vod_id: vodId,
      message_id: `${vodId}-m${i}`,
      reply_text: rng.chance(0.05) ? `@viewer${rng.int(0, 19_999)} ${reply}` : reply,
      context_start_ms: end - 20_000,
      context_end_ms: end,
      context_text: words,
      lag_ms: t - end,
      score: background ? 0.05 : rng.float(0.2, 1),
      tier: background ? 0 : rng.int(0, 2),
      label: background ? 'background' : 'reaction',
      target_start_ms: end - 3_000,
      target_end_ms: end,
      lexical: 0.2,
      association: 0.1,
      time_prior: 0.5,
      offset_ms: t,
      author_login: `viewer${rng.int(0, 19_999)}`,
      method: 'echo-lag/2',
      offset_segment: 0,
      transcript_sha256: 'bench',
      chat_sha256: 'bench',
    });
  }
  const rejects = Array.from({ length: Math.round(n / 50) }, (_, i) => ({ vod_id: vodId, message_id: `${vodId}-r${i}`, reason: 'bot', offset_ms: i * 1000 }));
  writeFileSync(path, JSON.stringify({ vod_id: vodId, method: 'echo-lag/2', offsets: [], pairs, rejects, stats: {} }));
}

async function child(mode: 'baseline' | 'build', dir: string, out: string): Promise<void> {
  const files = Array.from({ length: Number(argValue('--files') ?? 100) }, (_, i) => join(dir, `vod${i}.align.json`));
  let detail: Record<string, unknown>;
  const started = performance.now();
  const cpu = process.cpuUsage();
  if (mode === 'baseline') {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const list = `[${files.map((f) => `'${f}'`).join(', ')}]`;
    await connection.run(
      `COPY (SELECT unnest(pairs, recursive := true) FROM read_json(${list}, maximum_object_size = 268435456)) TO '${out}.parquet' (FORMAT parquet)`,
    );
    const reader = await connection.runAndReadAll(`SELECT count(*) FROM read_parquet('${out}.parquet')`);
    detail = { rows: Number(reader.getRows()[0]?.[0]) };
    connection.closeSync();
    instance.closeSync();
  } else {
    const { buildDatasetFromFiles } = await import('../../functions/dataset/build-dataset.ts');
    const s = await buildDatasetFromFiles({ pairs: files, out });
    detail = { splits: s.splits, dpo: s.dpo_splits, filtered: s.filtered, capped: s.capped };
  }
  const used = process.cpuUsage(cpu);
  const figures: ChildFigures = { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, maxRssBytes: process.resourceUsage().maxRSS * 1024, detail };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

async function measure(mode: 'baseline' | 'build', dir: string, out: string): Promise<ChildFigures> {
  const self = fileURLToPath(import.meta.url);
  const extra = argValue('--files') ? ['--files', argValue('--files') as string] : [];
  const run = await execa(process.execPath, ['--import', 'tsx', self, '--child', mode, dir, out, ...extra], { reject: false });
  if (run.exitCode !== 0) throw new Error(`${mode} child failed (exit ${run.exitCode}): ${run.stderr.split('\n').slice(-5).join(' ')}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as ChildFigures;
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const total = Number(argValue('--pairs') ?? 1_000_000);
  const fileCount = Number(argValue('--files') ?? 100);
  const dir = mkdtempSync(join(tmpdir(), 'dougpt-dataset-bench-'));
  try {
    const genStart = performance.now();
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < fileCount; i++) writeAlignFile(join(dir, `vod${i}.align.json`), `vod${i}`, Math.round(total / fileCount), i + 1);
    process.stdout.write(`input     ${total} pairs in ${fileCount} align files (generated in ${sec(performance.now() - genStart)})\n`);
    const baseline = await measure('baseline', dir, join(dir, 'baseline'));
    process.stdout.write(`baseline  DuckDB copy to Parquet   ${sec(baseline.ms)} (CPU ${sec(baseline.cpuMs)})  peak RSS ${gib(baseline.maxRssBytes)}  rows ${String(baseline.detail.rows)}\n`);
    const build = await measure('build', dir, join(dir, 'dataset'));
    process.stdout.write(`build     dougpt dataset build     ${sec(build.ms)} (CPU ${sec(build.cpuMs)})  peak RSS ${gib(build.maxRssBytes)}  ${JSON.stringify(build.detail)}\n`);
    const ratio = build.ms / baseline.ms;
    const timeOk = ratio <= TIME_BUDGET;
    const rssOk = build.maxRssBytes < RSS_BUDGET_BYTES;
    process.stdout.write(`time      ${ratio.toFixed(2)}× baseline (budget ≤ ${TIME_BUDGET}×)  ${timeOk ? 'ok' : 'OVER'}; CPU time ${(build.cpuMs / baseline.cpuMs).toFixed(2)}×; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
    process.stdout.write(`memory    ${gib(build.maxRssBytes)} (budget < ${gib(RSS_BUDGET_BYTES)}), baseline ${gib(baseline.maxRssBytes)}  ${rssOk ? 'ok' : 'OVER'}\n`);
    process.stdout.write(`${JSON.stringify({ bench: 'dataset-build', pairs: total, files: fileCount, baseline_ms: Math.round(baseline.ms), build_ms: Math.round(build.ms), time_ratio: Number(ratio.toFixed(3)), cpu_ratio: Number((build.cpuMs / baseline.cpuMs).toFixed(3)), load_average: loadavg()[0], build_max_rss_bytes: build.maxRssBytes, baseline_max_rss_bytes: baseline.maxRssBytes })}\n`);
    process.stdout.write(timeOk && rssOk ? 'dataset-build bench: all budgets met\n' : 'dataset-build bench: BUDGET MISSED\n');
    if (!(timeOk && rssOk)) process.exitCode = 1;
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) await child(process.argv[childAt + 1] as 'baseline' | 'build', process.argv[childAt + 2]!, process.argv[childAt + 3]!);
else await main();
