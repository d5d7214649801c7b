import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Voice memory: an index over a dataset version's train examples (context → real reply) and the rule that
 * retrieves the moments most like a new context, BM25 over words. Built once per dataset (beside its export);
 * read by the reply server and the simulator here and by the trainer and the evaluator in Python
 * (gpu-runner/src/dougpt_gpu/memory/index.py), which must retrieve exactly the same moments: a parity test
 * compares both on shared fixtures.
 *
 * Why both sides agree to the bit: words are ASCII runs (no Unicode case or class tables to differ), the IDF
 * values and the mean length are computed once here and stored in the file, and a score is the same
 * sequence of IEEE additions, multiplications and divisions in both languages (query words in order of
 * first appearance), with ties broken by the entry's position.
 */
export const MEMORY_RULE = 'dougpt-memory/1';

export const MemoryEntry = z.object({
  pair_id: z.string(),
  vod_id: z.string(),
  offset_ms: z.number(),
  /** The context as the prompt renders it (scrubbed, last `max_words` words). */
  context: z.string(),
  /** The real chat reply (scrubbed). */
  reply: z.string(),
});
export type MemoryEntry = z.infer<typeof MemoryEntry>;

export const MemoryIndexFile = z.object({
  rule: z.literal(MEMORY_RULE),
  dataset_id: z.string(),
  /** BM25 term-frequency saturation and length normalisation. */
  k1: z.number().positive(),
  b: z.number().min(0).max(1),
  /** Moments retrieved per query unless the caller asks otherwise. */
  k: z.number().int().positive(),
  /** A moment of the query's own VOD closer than this to the query is never retrieved (no leakage). */
  exclude_ms: z.number().int().nonnegative(),
  n: z.number().int().nonnegative(),
  avgdl: z.number().nonnegative(),
  /** [word, idf] sorted by word (UTF-16 code units); idf = ln(1 + (n − df + 0.5) / (df + 0.5)). */
  idf: z.array(z.tuple([z.string(), z.number()])),
  entries: z.array(MemoryEntry),
});
export type MemoryIndexFile = z.infer<typeof MemoryIndexFile>;

export interface MemoryOptions {
  k1: number;
  b: number;
  k: number;
  excludeMs: number;
}
export const DEFAULT_MEMORY_OPTIONS: MemoryOptions = { k1: 1.2, b: 0.75, k: 3, excludeMs: 300_000 };

/** A built index ready to query: postings per word. */
export interface MemoryIndex {
  file: MemoryIndexFile;
  /** sha256 of the file's bytes: the memory's version, recorded by runs and replies. */
  sha256: string;
  postings: Map<string, Array<[entry: number, tf: number]>>;
  lengths: number[];
  idf: Map<string, number>;
}

export interface MemoryQuery {
  /** The rendered context of the moment replied to. */
  context: string;
  /** The query's VOD (null when live): moments of that VOD within `exclude_ms` are never retrieved. */
  vod_id?: string | null;
  offset_ms?: number | null;
  /** The example itself, when the query is a dataset example. */
  pair_id?: string | null;
}

export interface Recalled extends MemoryEntry {
  /** Position of the entry in the index file. */
  index: number;
  score: number;
}

export class MemoryIndexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MemoryIndexError';
  }
}

/**
 * Words of a text: runs of ASCII letters and digits, lower-cased; everything else separates.
 *
 * @example
 * memoryWords("Okay CHAT, we're at 2-1!") // ['okay', 'chat', 'we', 're', 'at', '2', '1']
 */
export function memoryWords(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

function termCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of memoryWords(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/**
 * The index file of a dataset's train examples, in the order given (the export's order, so a rebuild
 * writes the same bytes).
 */
export function buildMemoryIndex(datasetId: string, entries: readonly MemoryEntry[], options: MemoryOptions = DEFAULT_MEMORY_OPTIONS): MemoryIndexFile {
  const df = new Map<string, number>();
  let total = 0;
  for (const e of entries) {
    const counts = termCounts(e.context);
    for (const w of counts.keys()) df.set(w, (df.get(w) ?? 0) + 1);
    for (const c of counts.values()) total += c;
  }
  const n = entries.length;
  const words = [...df.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    rule: MEMORY_RULE,
    dataset_id: datasetId,
    k1: options.k1,
    b: options.b,
    k: options.k,
    exclude_ms: options.excludeMs,
    n,
    avgdl: n === 0 ? 0 : total / n,
    idf: words.map((w) => [w, Math.log(1 + (n - df.get(w)! + 0.5) / (df.get(w)! + 0.5))]),
    entries: entries.map((e) => ({ pair_id: e.pair_id, vod_id: e.vod_id, offset_ms: e.offset_ms, context: e.context, reply: e.reply })),
  };
}

/** The file's text as written beside a dataset: one line, so its sha256 is the memory's version. */
export function memoryIndexText(file: MemoryIndexFile): string {
  return `${JSON.stringify(file)}\n`;
}

/** An index from its file's text (checked), with postings built for queries. */
export function parseMemoryIndex(text: string, where = 'memory index'): MemoryIndex {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new MemoryIndexError(`${where}: not JSON (${(error as Error).message})`);
  }
  const parsed = MemoryIndexFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MemoryIndexError(`${where}: ${issue.path.join('.') || 'file'}: ${issue.message}`);
  }
  const file = parsed.data;
  if (file.n !== file.entries.length) throw new MemoryIndexError(`${where}: n is ${file.n} but it holds ${file.entries.length} entries`);
  const postings = new Map<string, Array<[number, number]>>();
  const lengths: number[] = [];
  file.entries.forEach((e, i) => {
    let length = 0;
    for (const [w, tf] of termCounts(e.context)) {
      let list = postings.get(w);
      if (!list) postings.set(w, (list = []));
      list.push([i, tf]);
      length += tf;
    }
    lengths.push(length);
  });
  return { file, sha256: createHash('sha256').update(text).digest('hex'), postings, lengths, idf: new Map(file.idf) };
}

/** Reads `memory.json` (or another index file). */
export function loadMemoryIndex(path: string): MemoryIndex {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new MemoryIndexError(`${path}: cannot read the memory index (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseMemoryIndex(text, path);
}

/**
 * The `k` train moments whose contexts are most like the query's (BM25), best first; never the example
 * itself, never a moment of the query's VOD within `exclude_ms` of it (anywhere in it when the query has no
 * offset), never a second moment with the same
 * context text, only moments sharing a word with the query.
 *
 * @example
 * const memory = loadMemoryIndex('ds/memory.json');
 * recall(memory, { context: 'the penguin is fine', vod_id: null }).map((m) => m.reply);
 */
export function recall(index: MemoryIndex, query: MemoryQuery, k: number = index.file.k): Recalled[] {
  const { k1, b, avgdl, exclude_ms: excludeMs } = index.file;
  const scores = new Float64Array(index.file.entries.length);
  const touched: number[] = [];
  const seen = new Set<string>();
  for (const w of memoryWords(query.context)) {
    if (seen.has(w)) continue;
    seen.add(w);
    const list = index.postings.get(w);
    const idf = index.idf.get(w);
    if (!list || idf === undefined) continue;
    for (const [i, tf] of list) {
      // The same operations, in the same order, as index.py's `recall`: parity is bit for bit.
      const dl = index.lengths[i]!;
      if (scores[i] === 0) touched.push(i);
      scores[i] = scores[i]! + (idf * (tf * (k1 + 1))) / (tf + k1 * (1 - b + (b * dl) / avgdl));
    }
  }
  const ranked = touched.filter((i) => scores[i]! > 0).sort((x, y) => scores[y]! - scores[x]! || x - y);
  const out: Recalled[] = [];
  const contexts = new Set<string>();
  for (const i of ranked) {
    if (out.length >= k) break;
    const e = index.file.entries[i]!;
    if (query.pair_id && e.pair_id === query.pair_id) continue;
    // Same VOD: within the window, or anywhere when the query's offset is unknown.
    if (query.vod_id && e.vod_id === query.vod_id && (query.offset_ms === null || query.offset_ms === undefined || Math.abs(e.offset_ms - query.offset_ms) <= excludeMs)) continue;
    if (contexts.has(e.context)) continue;
    contexts.add(e.context);
    out.push({ ...e, index: i, score: scores[i]! });
  }
  return out;
}
