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
  key: ['vod_id', 'message_id'],
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

/** Every table of the current schema version, in creation order. */
export const ALL_TABLES: readonly TableDef[] = [
  schemaMigrations, vodManifest, audio, chatMessages, chatRejects,
  asrRuns, transcriptWords, transcriptSegments, chatOffsets, pairs, pairReviews,
];
