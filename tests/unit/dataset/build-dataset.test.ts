import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDatasetFromFiles } from '../../../functions/dataset/build-dataset.ts';
import { DatasetInputError } from '../../../functions/dataset/assemble-dataset.ts';
import { diffDatasets } from '../../../functions/dataset/diff-datasets.ts';
import { loadPromptSpec, renderMessages } from '../../../functions/prompt/prompt-spec.ts';
import { makeAlignFile, readJsonl, tempDir, type FixturePair } from './fixture.ts';

const SPLITS = ['train', 'validation', 'test'] as const;
const rowsOf = (dir: string, config = 'sft') => SPLITS.flatMap((s) => readJsonl(join(dir, config, `${s}.jsonl`)));

describe('dataset build from alignment files', () => {
  const dir = tempDir();
  const a = makeAlignFile(dir, 'vodA', { minutes: 12, seed: 1 });
  const b = makeAlignFile(dir, 'vodB', { minutes: 12, seed: 2 });

  it('exports TRL prompt-completion rows with provenance, no logins, names scrubbed', async () => {
    const out = join(dir, 'ds1');
    const s = await buildDatasetFromFiles({ pairs: [a], out });
    expect(s.splits.train).toBeGreaterThan(0);
    expect(s.splits.validation).toBeGreaterThan(0);
    expect(s.splits.test).toBeGreaterThan(0);
    const rows = rowsOf(out);
    expect(rows.length).toBe(s.splits.train + s.splits.validation + s.splits.test);
    const row = rows[0] as Record<string, any>;
    expect(row.prompt.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
    expect(row.completion[0].role).toBe('assistant');
    for (const col of ['vod_id', 'message_id', 'pair_id', 'offset_ms', 'context_start_ms', 'context_end_ms', 'lag_ms', 'score', 'tier', 'label', 'align_id', 'asr_run_id', 'chat_sha256', 'manifest_version', 'dataset_id', 'split']) {
      expect(row).toHaveProperty(col);
    }
    const raw = SPLITS.map((sp) => readFileSync(join(out, 'sft', `${sp}.jsonl`), 'utf8')).join('');
    expect(raw).not.toMatch(/viewer_\d/);
    expect(raw).not.toContain('author');
    expect(raw).toContain('thanks @viewer for the sub');
    const viewers = JSON.parse(readFileSync(join(out, 'viewers.json'), 'utf8'));
    expect(viewers.sha256).toHaveLength(20);
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    expect(card).toMatch(/^---\n[\s\S]*config_name: sft\n  default: true[\s\S]*---\n/);
    expect(s.filtered['align:bot']).toBe(1);
    expect(s.filtered['align:command']).toBe(1);
  });

  it('is reproducible: same inputs, same id, same bytes', async () => {
    const s1 = await buildDatasetFromFiles({ pairs: [a, b], out: join(dir, 'r1') });
    const s2 = await buildDatasetFromFiles({ pairs: [b, a], out: join(dir, 'r2') });
    expect(s2.dataset_id).toBe(s1.dataset_id);
    for (const sp of SPLITS) expect(readFileSync(join(dir, 'r2', 'sft', `${sp}.jsonl`), 'utf8')).toBe(readFileSync(join(dir, 'r1', 'sft', `${sp}.jsonl`), 'utf8'));
    // The voice memory beside the export: the train rows only, the same bytes on a rebuild, named in dataset.json.
    const memoryText = readFileSync(join(dir, 'r1', 'memory.json'), 'utf8');
    expect(readFileSync(join(dir, 'r2', 'memory.json'), 'utf8')).toBe(memoryText);
    const memory = JSON.parse(memoryText) as { dataset_id: string; entries: Array<{ pair_id: string; context: string; reply: string }> };
    const train = readJsonl(join(dir, 'r1', 'sft', 'train.jsonl')) as Array<{ pair_id: string; context: string; completion: Array<{ content: string }> }>;
    expect(memory.dataset_id).toBe(s1.dataset_id);
    expect(memory.entries.map((e) => [e.pair_id, e.context, e.reply])).toEqual(train.map((r) => [r.pair_id, r.context, r.completion[0]!.content]));
    expect(s1.memory).toMatchObject({ file: 'memory.json', entries: train.length, sha256: createHash('sha256').update(memoryText).digest('hex') });
    expect(JSON.parse(readFileSync(join(dir, 'r1', 'dataset.json'), 'utf8')).memory.sha256).toBe(s1.memory!.sha256);
  });

  it('block splits: one validation and one test block per cycle, no context crosses splits', async () => {
    const out = join(dir, 'blocks');
    await buildDatasetFromFiles({ pairs: [a], out });
    const rows = rowsOf(out) as Array<{ split: string; context_start_ms: number; context_end_ms: number }>;
    const blockSplit = new Map<number, string>();
    for (const r of rows) {
      const blk = Math.floor(r.context_end_ms / 30_000);
      expect(blockSplit.get(blk) ?? r.split).toBe(r.split);
      blockSplit.set(blk, r.split);
      const startBlk = Math.floor(r.context_start_ms / 30_000);
      if (blockSplit.has(startBlk)) expect(blockSplit.get(startBlk)).toBe(r.split);
    }
    // 12 minutes = 24 blocks: cycle 0 (blocks 0–9) and 1 (10–19) each hold exactly one of each held-out split.
    for (const cycle of [0, 1]) {
      const splits = [...blockSplit].filter(([blk]) => Math.floor(blk / 10) === cycle).map(([, sp]) => sp);
      expect(splits.filter((sp) => sp === 'validation').length).toBeLessThanOrEqual(1);
      expect(splits.filter((sp) => sp === 'test').length).toBeLessThanOrEqual(1);
    }
  });

  it('adding a VOD moves no existing example to another split', async () => {
    await buildDatasetFromFiles({ pairs: [a], out: join(dir, 'one') });
    await buildDatasetFromFiles({ pairs: [a, b], out: join(dir, 'two') });
    const diff = await diffDatasets(join(dir, 'one'), join(dir, 'two'));
    expect(diff.moved).toBe(0);
    expect(diff.vods.vodB?.added).toBeGreaterThan(0);
  });

  it('a short VOD gets every split with a shorter cycle', async () => {
    const short = makeAlignFile(dir, 'vodShort', { minutes: 1.5, everyMs: 700, seed: 9 });
    const s = await buildDatasetFromFiles({ pairs: [short], out: join(dir, 'short'), config: writeConfig(dir, { cycle_blocks: 3 }) });
    expect(s.splits.train).toBeGreaterThan(0);
    expect(s.splits.validation).toBeGreaterThan(0);
    expect(s.splits.test).toBeGreaterThan(0);
  });

  it('a 4-minute VOD (8 blocks, under one cycle) gets validation and test examples; one under 3 blocks fails with the remedy', async () => {
    const four = makeAlignFile(dir, 'vodFour', { minutes: 4, seed: 3 });
    const s = await buildDatasetFromFiles({ pairs: [four], out: join(dir, 'four') });
    expect(s.split_rule).toBe('dougpt-split/2');
    expect(s.splits.validation).toBeGreaterThan(0);
    expect(s.splits.test).toBeGreaterThan(0);
    // Contexts end before 55 s: blocks 0–1 only.
    const tiny = makeAlignFile(dir, 'vodTiny', { minutes: 59 / 60, seed: 4 });
    const failure = buildDatasetFromFiles({ pairs: [tiny], out: join(dir, 'tiny') });
    await expect(failure).rejects.toBeInstanceOf(DatasetInputError);
    await expect(failure).rejects.toThrow(/validation and test splits are empty .*1 of 1 VOD\(s\) under 3 blocks of 30 s.*at least 90 s/);
  });

  it('keeps at most three examples of one emote wave', async () => {
    const wave: FixturePair[] = Array.from({ length: 12 }, (_, i) => ({
      pair_id: `wave-${i}`, vod_id: 'vodW', message_id: `wave-m${i}`, reply_text: 'PogChamp', context_start_ms: 100_000,
      context_end_ms: 115_000, context_text: 'and we win', lag_ms: 3000, score: 0.8, tier: 1, label: 'reaction',
      offset_ms: 118_000 + i * 200, author_login: `waver${i}x`, chat_sha256: 'c', transcript_sha256: 't', wave_id: 'wave-m0',
    }) as FixturePair);
    const file = makeAlignFile(dir, 'vodW', { minutes: 4, seed: 5, extra: wave });
    const s = await buildDatasetFromFiles({ pairs: [file], out: join(dir, 'wave') });
    const kept = (rowsOf(join(dir, 'wave')) as Array<{ pair_id: string }>).filter((r) => r.pair_id.startsWith('wave-'));
    expect(kept.length).toBeLessThanOrEqual(3);
    expect((s.capped['emote-wave'] ?? 0) + (s.filtered['split-boundary'] ?? 0)).toBeGreaterThanOrEqual(9);
  });

  it('vod splits keep each VOD in one split', async () => {
    const files = ['v1', 'v2', 'v3', 'v4', 'v5', 'v6'].map((v, i) => makeAlignFile(dir, v, { minutes: 2, seed: i }));
    const out = join(dir, 'byvod');
    const s = await buildDatasetFromFiles({ pairs: files, out, splitBy: 'vod' });
    expect(s.split_by).toBe('vod');
    const byVod = new Map<string, Set<string>>();
    for (const r of rowsOf(out) as Array<{ vod_id: string; split: string }>) (byVod.get(r.vod_id) ?? byVod.set(r.vod_id, new Set()).get(r.vod_id))!.add(r.split);
    for (const splits of byVod.values()) expect(splits.size).toBe(1);
  });

  it('caps copypasta, chatters, background and emote-only; honours opt-out and tiers', async () => {
    const pasta = 'this is a long copypasta that everyone in chat pastes again';
    const extra: FixturePair[] = Array.from({ length: 30 }, (_, i) => ({
      pair_id: `pasta-${i}`, vod_id: 'vodC', message_id: `pasta-m${i}`, reply_text: pasta, context_start_ms: 40_000 + i * 1000,
      context_end_ms: 50_000 + i * 1000, context_text: 'words', lag_ms: 3000, score: 0.9, tier: 2, label: 'reaction',
      offset_ms: 53_000 + i * 1000, author_login: `paster${i}x`, chat_sha256: 'c', transcript_sha256: 't',
    }));
    const file = makeAlignFile(dir, 'vodC', { minutes: 12, seed: 3, extra });
    const optOut = join(dir, 'optout.txt');
    writeFileSync(optOut, '# left out\n@Viewer_3\n');
    const out = join(dir, 'caps');
    const s = await buildDatasetFromFiles({ pairs: [file], out, optOut });
    const rows = rowsOf(out) as Array<Record<string, any>>;
    expect(rows.filter((r) => r.completion[0].content === pasta).length).toBeLessThanOrEqual(3);
    expect(s.capped.copypasta).toBeGreaterThanOrEqual(30 - 3 - (s.filtered["split-boundary"] ?? 0));
    expect(s.filtered['opt-out']).toBeGreaterThan(0);
    expect(s.opt_out).toEqual({ logins: 1, removed: s.filtered['opt-out'] });
    expect(rows.some((r) => r.label === 'reaction' && r.tier < 1)).toBe(false);
    const background = rows.filter((r) => r.label === 'background').length;
    expect(background / rows.length).toBeLessThanOrEqual(0.16);
    const strict = await buildDatasetFromFiles({ pairs: [file], out: join(dir, 'strict'), config: writeConfig(dir, { min_tier: 2, max_chatter_share: 0.01, min_chatter_cap: 5 }) });
    expect(strict.filtered['below-min-tier']).toBeGreaterThan(s.filtered['below-min-tier'] ?? 0);
    expect(strict.capped['chatter-share']).toBeGreaterThan(0);
  });

  it('pairs DPO preferences with hard negatives: a reply of the same VOD 60+ s away, never a near-duplicate', async () => {
    const out = join(dir, 'dpo');
    const s = await buildDatasetFromFiles({ pairs: [a, b], out });
    expect(s.config.dpo_min_distance_ms).toBe(60_000);
    expect(s.dpo_splits.train).toBeGreaterThan(0);
    const rows = rowsOf(out, 'dpo') as Array<Record<string, any>>;
    expect(rows.length).toBe(s.dpo_splits.train + s.dpo_splits.validation + s.dpo_splits.test);
    for (const r of rows) {
      // Both VODs have plenty of rows a minute or more apart in every split: no row needs another VOD.
      expect(r.rejected_vod_id).toBe(r.vod_id);
      expect(Math.abs(r.rejected_offset_ms - r.offset_ms)).toBeGreaterThanOrEqual(60_000);
      expect(r.rejected_pair_id).not.toBe(r.pair_id);
      expect(r.rejected[0].content.toLowerCase()).not.toBe(r.chosen[0].content.toLowerCase());
    }
    // Not always the nearest allowed row: the partners spread over the VOD.
    expect(new Set(rows.map((r) => Math.round(Math.abs(r.rejected_offset_ms - r.offset_ms) / 60_000))).size).toBeGreaterThan(3);
    expect(s.dpo_negatives).toEqual({ same_vod: rows.length, other_vod: 0 });
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    expect(card).toContain('config_name: dpo');
    expect(card).toContain('at least\n  1 minute away');
    expect(card).toContain(`Rejected replies: ${rows.length} from the same VOD,\n  0 from another VOD.`);
  });

  it('takes a DPO negative from another VOD only when the VOD has none far enough away; the distance is configurable', async () => {
    // 40 s of chat: no two of its replies are a minute apart.
    const short = makeAlignFile(dir, 'vodS', { minutes: 65 / 60, everyMs: 2_000, seed: 5 });
    const s = await buildDatasetFromFiles({ pairs: [a, short], out: join(dir, 'dpo-short') });
    const rows = rowsOf(join(dir, 'dpo-short'), 'dpo') as Array<Record<string, any>>;
    const fromShort = rows.filter((r) => r.vod_id === 'vodS');
    expect(fromShort.length).toBeGreaterThan(0);
    for (const r of fromShort) expect(r.rejected_vod_id).toBe('vodA');
    for (const r of rows.filter((x) => x.vod_id === 'vodA')) expect(r.rejected_vod_id).toBe('vodA');
    expect(s.dpo_negatives).toEqual({ same_vod: rows.length - fromShort.length, other_vod: fromShort.length });

    const far = await buildDatasetFromFiles({ pairs: [a, b], out: join(dir, 'dpo-far'), config: writeConfig(dir, { dpo_min_distance_ms: 240_000 }) });
    const farRows = rowsOf(join(dir, 'dpo-far'), 'dpo') as Array<Record<string, any>>;
    expect(farRows.length).toBeGreaterThan(0);
    for (const r of farRows) expect(r.rejected_vod_id !== r.vod_id || Math.abs(r.rejected_offset_ms - r.offset_ms) >= 240_000).toBe(true);
    expect(far.dpo_negatives.same_vod).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'dpo-far', 'README.md'), 'utf8')).toContain('at least\n  4 minutes away');
  });

  it('writes each line as JSON.stringify writes its row, each prompt as renderMessages renders its context', async () => {
    const odd = ['tab\there', 'ctrl \u0001\u001f end', 'quote " and \\ slash /', 'naïve 日本語 @Zoë 😀', 'nbsp\u00a0and\u3000ideographic', '  padded  ', ''];
    const extra: FixturePair[] = odd.map((text, i) => ({
      pair_id: `odd-${i}`, vod_id: 'vodO', message_id: `odd-m${i}`, reply_text: `reply ${text} ${i}`, context_start_ms: 60_000 + i * 31_000,
      context_end_ms: 70_000 + i * 31_000, context_text: `${text} ${'word '.repeat(i * 20)}thanks viewer_3`, lag_ms: 3000, score: i % 2 ? 1 : 0.25,
      tier: 2, label: 'reaction', offset_ms: 73_000 + i * 31_000, author_login: `odd${i}x`, chat_sha256: 'c', transcript_sha256: 't',
    }));
    const file = makeAlignFile(dir, 'vodO', { minutes: 6, seed: 11, extra });
    const out = join(dir, 'odd');
    await buildDatasetFromFiles({ pairs: [file], out });
    const { spec } = loadPromptSpec();
    let lines = 0;
    for (const config of ['sft', 'dpo']) {
      for (const sp of SPLITS) {
        for (const line of readFileSync(join(out, config, `${sp}.jsonl`), 'utf8').split('\n').filter(Boolean)) {
          const row = JSON.parse(line) as Record<string, any>;
          expect(line).toBe(JSON.stringify(row));
          if (config === 'sft') expect(row.prompt).toEqual(renderMessages(spec, row.context));
          lines++;
        }
      }
    }
    const texts = rowsOf(out).map((r) => String((r as Record<string, any>).completion[0].content));
    expect(texts.some((t) => t.includes('\u0001'))).toBe(true);
    expect(texts.some((t) => t.includes('😀'))).toBe(true);
    expect(lines).toBeGreaterThan(100);
  });

  it('refuses what is not alignment output, naming the file', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ hello: 1 }));
    await expect(buildDatasetFromFiles({ pairs: [bad], out: join(dir, 'x') })).rejects.toThrow(DatasetInputError);
    await expect(buildDatasetFromFiles({ pairs: [bad], out: join(dir, 'x') })).rejects.toThrow(/bad\.json: not `dougpt align` output/);
    await expect(buildDatasetFromFiles({ pairs: [join(dir, 'missing.json')], out: join(dir, 'x') })).rejects.toThrow(/missing\.json: cannot read/);
    await expect(buildDatasetFromFiles({ pairs: [a, a], out: join(dir, 'x') })).rejects.toThrow(/two alignment files for one VOD/);
  });
});

function writeConfig(dir: string, config: object): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}
