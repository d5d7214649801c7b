/**
 * Object keys of the lake. Content-addressed (the sha256 is in the key), so a retry or a re-run
 * writes the same key again at most, never a second copy.
 */
export const objectKeys = {
  vod: (vodId: string, sha256: string, ext: string) => `bronze/vods/${vodId}/${sha256}.${ext}`,
  chat: (vodId: string, sha256: string, ext: string) => `bronze/chat/${vodId}/${sha256}.${ext}`,
  audio: (vodId: string, sha256: string) => `silver/audio/${vodId}/${sha256}.flac`,
  /** Normalized chat staged for the commit step; keyed by the raw chat's checksum. */
  stagedChat: (vodId: string, chatSha256: string, part: 'messages' | 'rejects') =>
    `staging/chat/${vodId}/${chatSha256}.${part}.parquet`,
} as const;

/**
 * Every prefix ingest writes one VOD's objects under: what a failed ingest's compensation sweeps
 * (keeping what a committed row refers to).
 *
 * @example
 * ingestPrefixes('v1') // ['bronze/vods/v1/', 'bronze/chat/v1/', 'silver/audio/v1/', 'staging/chat/v1/']
 */
export const ingestPrefixes = (vodId: string): string[] => [
  `bronze/vods/${vodId}/`,
  `bronze/chat/${vodId}/`,
  `silver/audio/${vodId}/`,
  `staging/chat/${vodId}/`,
];

/** File extension for a bronze key: the source's own, lower-cased, or `bin`. */
export function extensionOf(name: string): string {
  const base = name.split(/[?#]/)[0] ?? name;
  const match = /\.([a-z0-9]{1,8}(?:\.gz)?)$/i.exec(base);
  return match?.[1]?.toLowerCase() ?? 'bin';
}
