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

/** Every table of the current schema version, in creation order. */
export const ALL_TABLES: readonly TableDef[] = [schemaMigrations, vodManifest, audio, chatMessages, chatRejects];
