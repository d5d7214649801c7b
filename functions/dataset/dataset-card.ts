import { SPLITS, type DatasetConfig, type Split } from './dataset-config.ts';

/** What `dataset.json` holds and the card describes. */
export interface DatasetSummary {
  dataset_id: string;
  split_by: DatasetConfig['split_by'];
  split_rule: string;
  splits: Record<Split, number>;
  dpo_splits: Record<Split, number>;
  /** Where the DPO rows' rejected replies come from: the chosen reply's own VOD, or another. */
  dpo_negatives: { same_vod: number; other_vod: number };
  vods: number;
  vod_ids: string[];
  filtered: Record<string, number>;
  capped: Record<string, number>;
  prompt_spec: { version: string; sha256: string };
  config: DatasetConfig;
  sources: Array<{ kind: 'file' | 'lake'; id: string; vod_id: string; path?: string }>;
  opt_out: { logins: number; removed: number };
  scrubbed: { viewer_logins: number };
  built_from: 'files' | 'lake';
  /** The voice memory index written beside the export (`memory.json`): rule, sha256, entries. */
  memory?: { rule: string; file: string; sha256: string; entries: number };
}

const yamlString = (s: string) => JSON.stringify(s);

/** 60000 → "1 minute", 90000 → "90 seconds". */
function formatDistance(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}`;
  return `${Math.round(ms / 1000)} seconds`;
}

/**
 * The dataset card: a YAML header that `datasets.load_dataset(DIR)` reads (config `sft` by default,
 * `dpo` by name; empty splits left out), then a plain description a person reads.
 */
export function renderDatasetCard(summary: DatasetSummary): string {
  const configBlock = (name: 'sft' | 'dpo', counts: Record<Split, number>, isDefault: boolean) => {
    const lines = [`- config_name: ${name}`];
    if (isDefault) lines.push('  default: true');
    lines.push('  data_files:');
    for (const split of SPLITS) {
      if (counts[split] > 0) lines.push(`  - split: ${split}`, `    path: ${yamlString(`${name}/${split}.jsonl`)}`);
    }
    return lines.join('\n');
  };
  const configs = [configBlock('sft', summary.splits, true)];
  if (SPLITS.some((s) => summary.dpo_splits[s] > 0)) configs.push(configBlock('dpo', summary.dpo_splits, false));
  const table = (counts: Record<string, number>) =>
    Object.keys(counts).length === 0
      ? 'none'
      : Object.entries(counts)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, n]) => `| ${k} | ${n} |`)
          .join('\n');
  const splitRule =
    summary.split_by === 'block'
      ? `block: each VOD is cut into ${summary.config.block_s}-second blocks; in every cycle of ${summary.config.cycle_blocks} blocks one goes to validation and one to test ` +
        `(positions from a hash of rule version, VOD and cycle; a VOD's partial last cycle of 3 or more blocks picks among the blocks it has, a shorter one is train), the rest to train. Examples whose context reaches into a block of another split are dropped ` +
        `(\`split-boundary\`), so no two splits share speech.`
      : `vod: each VOD lives in exactly one split, from a hash of rule version and VOD id ` +
        `(${Math.round(summary.config.validation_share * 100)}% validation, ${Math.round(summary.config.test_share * 100)}% test).`;
  return `---
pretty_name: DougPT chat replies ${summary.dataset_id}
license: other
language:
- en
task_categories:
- text-generation
tags:
- twitch-chat
- dougpt
configs:
${configs.join('\n')}
---

# ${summary.dataset_id}

Streamer context → real Twitch chat reply, built by DougPT from ${summary.vods} VOD(s) (${summary.built_from}).

- **sft** (default): TRL conversational prompt-completion rows — \`prompt\` (system + user turns rendered from the
  prompt spec), \`completion\` (the real chat reply) — plus provenance columns.
- **dpo**: \`prompt\`, \`chosen\` (the real reply), \`rejected\` (a hard negative: a real reply of the same VOD at least
  ${formatDistance(summary.config.dpo_min_distance_ms)} away, so it differs in the moment it reacts to, not in chat or style; from another VOD only
  when the VOD has none; never a near-duplicate of the chosen text). Rejected replies: ${summary.dpo_negatives.same_vod} from the same VOD,
  ${summary.dpo_negatives.other_vod} from another VOD.

| split | sft | dpo |
| --- | --- | --- |
${SPLITS.map((s) => `| ${s} | ${summary.splits[s]} | ${summary.dpo_splits[s]} |`).join('\n')}

## Sources

${summary.sources.map((s) => `- ${s.vod_id}: ${s.kind} ${s.id}${s.path ? ` (${s.path})` : ''}`).join('\n')}

## Split rule (${summary.split_rule})

${splitRule} Membership is a pure function of the split unit and the rule version: rebuilding from the same inputs
reproduces it, and adding a VOD never moves an existing example to another split.

## Filters (rows removed)

| reason | rows |
| --- | --- |
${table(summary.filtered)}

\`align:*\` are the aligner's rejects (bots, commands, deleted messages, notices, unpaired messages);
\`below-min-tier\`: reactions under tier ${summary.config.min_tier} that no reviewer accepted; \`review-reject\`: a reviewer
rejected the pair; \`opt-out\`: the viewer asked to be left out.

## Caps (rows removed)

| rule | rows |
| --- | --- |
${table(summary.capped)}

Copypasta (texts of 20+ characters) at most ${summary.config.max_per_text} times; an emote wave at most ${summary.config.max_per_wave} examples; a short text at most 2% of the dataset;
a chatter at most ${Math.round(summary.config.max_chatter_share * 100)}% (at least ${summary.config.min_chatter_cap} rows);
a VOD at most ${Math.round(summary.config.max_vod_share * 100)}% once there are enough VODs; background chatter at most
${Math.round(summary.config.max_background_share * 100)}% and emote-only replies at most ${Math.round(summary.config.max_emote_only_share * 100)}% of the examples.

## Prompt spec

\`${summary.prompt_spec.version}\` (sha256 \`${summary.prompt_spec.sha256}\`), copied as \`prompt_spec.json\`.

## Privacy

No author login, display name or id is exported. \`@mentions\` and bare logins of the corpus's ${summary.scrubbed.viewer_logins}
viewers are replaced by the prompt spec's placeholder in prompts and completions; the streamer's own name stays.
${summary.opt_out.logins} opted-out login(s) listed; ${summary.opt_out.removed} of their message(s) removed.
\`viewers.json\` holds salted hashes of the viewer logins, for name-leak checks only.

## Licence

The texts are viewers' chat messages and the streamer's transcribed speech: use them for local research and
experimentation only; they carry the rights of their authors and of the platform's terms.
`;
}
