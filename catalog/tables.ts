/**
 * Lake tables as code. Each table lists its columns (DuckDB types, which the Iceberg extension maps
 * to Iceberg types) and the columns that identify a row: writes skip rows whose key already exists,
 * so re-running a stage on the same inputs writes nothing new.
 *
 * Changing a table means adding a migration in `migrations.ts`, never editing one that has shipped.
 */
export interface TableDef {
  namespace: 'bronze' | 'silver' | 'gold' | 'meta';
  name: string;
  columns: ReadonlyArray<readonly [name: string, type: string]>;
  key: readonly string[];
}

export const qualifiedName = (table: TableDef): string => `${table.namespace}.${table.name}`;

const EMOTE = 'STRUCT(id VARCHAR, name VARCHAR, start INTEGER, "end" INTEGER)';

export const schemaMigrations: TableDef = {
  namespace: 'meta',
  name: 'schema_migrations',
  columns: [
    ['version', 'INTEGER'],
    ['description', 'VARCHAR'],
    ['applied_at', 'TIMESTAMPTZ'],
  ],
  key: ['version'],
};

export const vodManifest: TableDef = {
  namespace: 'bronze',
  name: 'vod_manifest',
  columns: [
    ['vod_id', 'VARCHAR'],
    ['title', 'VARCHAR'],
    ['video_source', 'VARCHAR'],
    ['chat_source', 'VARCHAR'],
    ['video_key', 'VARCHAR'],
    ['chat_key', 'VARCHAR'],
    ['video_sha256', 'VARCHAR'],
    ['chat_sha256', 'VARCHAR'],
    ['video_bytes', 'BIGINT'],
    ['chat_bytes', 'BIGINT'],
    ['duration_ms', 'BIGINT'],
    ['streamed_at', 'TIMESTAMPTZ'],
    ['container', 'VARCHAR'],
    ['video_codec', 'VARCHAR'],
    ['audio_codec', 'VARCHAR'],
    ['chat_format', 'VARCHAR'],
    ['chat_messages', 'BIGINT'],
    ['chat_rejects', 'BIGINT'],
    ['manifest_version', 'INTEGER'],
    ['ingested_at', 'TIMESTAMPTZ'],
  ],
  key: ['vod_id', 'video_sha256', 'chat_sha256'],
};

export const audio: TableDef = {
  namespace: 'silver',
  name: 'audio',
  columns: [
    ['vod_id', 'VARCHAR'],
    ['key', 'VARCHAR'],
    ['sha256', 'VARCHAR'],
    ['bytes', 'BIGINT'],
    ['sample_rate', 'INTEGER'],
    ['channels', 'INTEGER'],
    ['duration_ms', 'BIGINT'],
    ['codec', 'VARCHAR'],
    ['source_video_sha256', 'VARCHAR'],
    ['created_at', 'TIMESTAMPTZ'],
  ],
  key: ['vod_id', 'sha256'],
};

export const chatMessages: TableDef = {
  namespace: 'silver',
  name: 'chat_messages',
  columns: [
    ['vod_id', 'VARCHAR'],
    ['message_id', 'VARCHAR'],
    ['offset_ms', 'BIGINT'],
    ['sent_at', 'VARCHAR'],
    ['author_id', 'VARCHAR'],
    ['author_login', 'VARCHAR'],
    ['author_display', 'VARCHAR'],
    ['text', 'VARCHAR'],
    ['emotes', `${EMOTE}[]`],
    ['badges', 'VARCHAR[]'],
    ['bits', 'INTEGER'],
    ['is_action', 'BOOLEAN'],
    ['reply_to', 'VARCHAR'],
    ['kind', 'VARCHAR'],
    ['is_bot', 'BOOLEAN'],
    ['is_command', 'BOOLEAN'],
    ['is_emote_only', 'BOOLEAN'],
    ['is_deleted', 'BOOLEAN'],
    ['source_format', 'VARCHAR'],
    ['chat_sha256', 'VARCHAR'],
  ],
  // A corrected chat file re-ingested for the same VOD repeats most message ids: each version keeps
  // all its rows, and readers pick one version by the manifest's chat_sha256.
  key: ['vod_id', 'chat_sha256', 'message_id'],
};

export const chatRejects: TableDef = {
  namespace: 'silver',
  name: 'chat_rejects',
  columns: [
    ['vod_id', 'VARCHAR'],
    ['record_index', 'BIGINT'],
    ['reason', 'VARCHAR'],
    ['detail', 'VARCHAR'],
    ['raw', 'VARCHAR'],
    ['source_format', 'VARCHAR'],
    ['chat_sha256', 'VARCHAR'],
  ],
  key: ['vod_id', 'chat_sha256', 'record_index'],
};

export const asrRuns: TableDef = {
  namespace: 'silver',
  name: 'asr_runs',
  columns: [
    ['run_id', 'VARCHAR'],
    ['vod_id', 'VARCHAR'],
    ['audio_key', 'VARCHAR'],
    ['audio_sha256', 'VARCHAR'],
    ['backend', 'VARCHAR'],
    ['model', 'VARCHAR'],
    ['config', 'VARCHAR'],
    ['transcript_key', 'VARCHAR'],
    ['transcript_sha256', 'VARCHAR'],
    ['words', 'BIGINT'],
    ['segments', 'BIGINT'],
    ['duration_ms', 'BIGINT'],
    ['runtime_ms', 'BIGINT'],
    ['created_at', 'TIMESTAMPTZ'],
  ],
  key: ['run_id'],
};

export const transcriptWords: TableDef = {
  namespace: 'silver',
  name: 'transcript_words',
  columns: [
    ['run_id', 'VARCHAR'],
    ['vod_id', 'VARCHAR'],
    ['idx', 'BIGINT'],
    ['word', 'VARCHAR'],
    ['norm', 'VARCHAR'],
    ['start_ms', 'BIGINT'],
    ['end_ms', 'BIGINT'],
    ['confidence', 'DOUBLE'],
  ],
  key: ['run_id', 'idx'],
};

export const transcriptSegments: TableDef = {
  namespace: 'silver',
  name: 'transcript_segments',
  columns: [
    ['run_id', 'VARCHAR'],
    ['vod_id', 'VARCHAR'],
    ['id', 'BIGINT'],
    ['start_ms', 'BIGINT'],
    ['end_ms', 'BIGINT'],
    ['text', 'VARCHAR'],
  ],
  key: ['run_id', 'id'],
};

export const chatOffsets: TableDef = {
  namespace: 'silver',
  name: 'chat_offsets',
  columns: [
    ['align_id', 'VARCHAR'],
    ['vod_id', 'VARCHAR'],
    ['segment', 'INTEGER'],
    ['from_ms', 'BIGINT'],
    ['to_ms', 'BIGINT'],
    ['lag_ms', 'BIGINT'],
    ['confidence', 'DOUBLE'],
    ['method', 'VARCHAR'],
    ['asr_run_id', 'VARCHAR'],
    ['chat_sha256', 'VARCHAR'],
  ],
  key: ['align_id', 'segment'],
};

export const pairs: TableDef = {
  namespace: 'gold',
  name: 'pairs',
  columns: [
    ['pair_id', 'VARCHAR'],
    ['align_id', 'VARCHAR'],
    ['vod_id', 'VARCHAR'],
    ['message_id', 'VARCHAR'],
    ['reply_text', 'VARCHAR'],
    ['context_start_ms', 'BIGINT'],
    ['context_end_ms', 'BIGINT'],
    ['context_text', 'VARCHAR'],
    ['lag_ms', 'BIGINT'],
    ['score', 'DOUBLE'],
    ['tier', 'INTEGER'],
    ['label', 'VARCHAR'],
    ['reject_reason', 'VARCHAR'],
    ['target_start_ms', 'BIGINT'],
    ['target_end_ms', 'BIGINT'],
    ['lexical', 'DOUBLE'],
    ['association', 'DOUBLE'],
    ['time_prior', 'DOUBLE'],
    ['offset_ms', 'BIGINT'],
    ['author_login', 'VARCHAR'],
    ['method', 'VARCHAR'],
    ['offset_segment', 'INTEGER'],
    ['asr_run_id', 'VARCHAR'],
    ['transcript_sha256', 'VARCHAR'],
    ['chat_sha256', 'VARCHAR'],
  ],
  key: ['align_id', 'message_id'],
};

export const pairReviews: TableDef = {
  namespace: 'gold',
  name: 'pair_reviews',
  columns: [
    ['review_id', 'VARCHAR'],
    ['pair_id', 'VARCHAR'],
    ['vod_id', 'VARCHAR'],
    ['verdict', 'VARCHAR'],
    ['note', 'VARCHAR'],
    ['reviewer', 'VARCHAR'],
    ['reviewed_at', 'TIMESTAMPTZ'],
  ],
  key: ['review_id'],
};

export const datasets: TableDef = {
  namespace: 'gold',
  name: 'datasets',
  columns: [
    ['dataset_id', 'VARCHAR'],
    ['split_by', 'VARCHAR'],
    ['split_rule', 'VARCHAR'],
    ['prompt_spec_version', 'VARCHAR'],
    ['prompt_spec_sha256', 'VARCHAR'],
    ['config', 'VARCHAR'],
    ['sources', 'VARCHAR'],
    ['counts', 'VARCHAR'],
    ['vods', 'INTEGER'],
    ['examples', 'BIGINT'],
    ['opt_out_logins', 'INTEGER'],
    ['opt_out_removed', 'BIGINT'],
    ['export_key', 'VARCHAR'],
    ['card', 'VARCHAR'],
    ['created_at', 'TIMESTAMPTZ'],
  ],
  key: ['dataset_id'],
};

export const datasetExamples: TableDef = {
  namespace: 'gold',
  name: 'dataset_examples',
  columns: [
    ['dataset_id', 'VARCHAR'],
    ['pair_id', 'VARCHAR'],
    ['vod_id', 'VARCHAR'],
    ['message_id', 'VARCHAR'],
    ['split', 'VARCHAR'],
    ['align_id', 'VARCHAR'],
  ],
  key: ['dataset_id', 'pair_id'],
};

/**
 * The voice memory of a dataset version (functions/memory): its index's entries in index order, with the index's
 * sha256 and rule. The index file is a pure function of these rows and the rule's options: a rebuild from them
 * gives the same bytes (tests/integration/dataset-lake.test.ts).
 */
export const memoryEntries: TableDef = {
  namespace: 'gold',
  name: 'memory_entries',
  columns: [
    ['dataset_id', 'VARCHAR'],
    ['memory_sha256', 'VARCHAR'],
    ['rule', 'VARCHAR'],
    ['entry', 'INTEGER'],
    ['pair_id', 'VARCHAR'],
    ['vod_id', 'VARCHAR'],
    ['offset_ms', 'BIGINT'],
    ['context', 'VARCHAR'],
    ['reply', 'VARCHAR'],
  ],
  key: ['dataset_id', 'pair_id'],
};

export const trainingRuns: TableDef = {
  namespace: 'gold',
  name: 'training_runs',
  columns: [
    ['run_id', 'VARCHAR'],
    ['dataset_id', 'VARCHAR'],
    ['base_model', 'VARCHAR'],
    ['base_sha256', 'VARCHAR'],
    ['preset', 'VARCHAR'],
    ['config', 'VARCHAR'],
    ['config_hash', 'VARCHAR'],
    ['seed', 'BIGINT'],
    ['library_versions', 'VARCHAR'],
    ['steps', 'BIGINT'],
    ['loss_first', 'DOUBLE'],
    ['loss_last', 'DOUBLE'],
    ['losses', 'VARCHAR'],
    ['tokens_per_s', 'DOUBLE'],
    ['resumed_from_step', 'BIGINT'],
    ['adapter_key', 'VARCHAR'],
    ['prompt_spec_sha256', 'VARCHAR'],
    ['finished_at', 'TIMESTAMPTZ'],
  ],
  key: ['run_id'],
};

export const evalResults: TableDef = {
  namespace: 'gold',
  name: 'eval_results',
  columns: [
    ['eval_id', 'VARCHAR'],
    ['run_id', 'VARCHAR'],
    ['dataset_id', 'VARCHAR'],
    ['split', 'VARCHAR'],
    ['model', 'VARCHAR'],
    ['model_run_id', 'VARCHAR'],
    ['n_examples', 'BIGINT'],
    ['metrics', 'VARCHAR'],
    ['gates_passed', 'BOOLEAN'],
    ['gate_failures', 'VARCHAR'],
    ['report_key', 'VARCHAR'],
    ['created_at', 'TIMESTAMPTZ'],
  ],
  key: ['eval_id', 'model'],
};

export const evalJudgments: TableDef = {
  namespace: 'gold',
  name: 'eval_judgments',
  columns: [
    ['judgment_id', 'VARCHAR'],
    ['eval_id', 'VARCHAR'],
    ['run_id', 'VARCHAR'],
    ['pair_id', 'VARCHAR'],
    ['picked_real', 'BOOLEAN'],
    ['rating', 'INTEGER'],
    ['reviewer', 'VARCHAR'],
    ['judged_at', 'TIMESTAMPTZ'],
  ],
  key: ['judgment_id'],
};

export const promotions: TableDef = {
  namespace: 'gold',
  name: 'promotions',
  columns: [
    ['promotion_id', 'VARCHAR'],
    ['action', 'VARCHAR'],
    ['run_id', 'VARCHAR'],
    ['from_run_id', 'VARCHAR'],
    ['who', 'VARCHAR'],
    ['note', 'VARCHAR'],
    ['forced', 'BOOLEAN'],
    ['gates_passed', 'BOOLEAN'],
    ['reason', 'VARCHAR'],
    ['decided_at', 'TIMESTAMPTZ'],
  ],
  key: ['promotion_id'],
};

export const inferenceLog: TableDef = {
  namespace: 'gold',
  name: 'inference_log',
  columns: [
    ['request_id', 'VARCHAR'],
    ['logged_at', 'TIMESTAMPTZ'],
    ['endpoint', 'VARCHAR'],
    ['context_sha256', 'VARCHAR'],
    ['prompt_spec_version', 'VARCHAR'],
    ['prompt_spec_sha256', 'VARCHAR'],
    ['prompt_sha256', 'VARCHAR'],
    ['adapter_run_id', 'VARCHAR'],
    ['replies', 'VARCHAR'],
    ['guardrail_actions', 'VARCHAR'],
    ['latency_ms', 'DOUBLE'],
    ['client', 'VARCHAR'],
  ],
  key: ['request_id'],
};

/** Every table of the current schema version, in creation order. */
export const ALL_TABLES: readonly TableDef[] = [
  schemaMigrations, vodManifest, audio, chatMessages, chatRejects,
  asrRuns, transcriptWords, transcriptSegments, chatOffsets, pairs, pairReviews,
  datasets, datasetExamples, trainingRuns, evalResults, evalJudgments, promotions, inferenceLog, memoryEntries,
];
