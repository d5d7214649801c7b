import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/** Where an input lives: a local file, an http(s) URL, or a Twitch VOD id (fetched through yt-dlp). */
export type Source =
  | { kind: 'file'; path: string }
  | { kind: 'http'; url: string }
  | { kind: 'twitch'; id: string };

/**
 * Parses a user-given source: a path, `file://…`, `http(s)://…` or `twitch:<id>`.
 *
 * @example
 * parseSource('twitch:1986381866') // { kind: 'twitch', id: '1986381866' }
 */
export function parseSource(value: string, cwd = process.cwd()): Source {
  if (/^https?:\/\//i.test(value)) return { kind: 'http', url: value };
  if (/^file:\/\//i.test(value)) return { kind: 'file', path: fileURLToPath(value) };
  const twitch = /^twitch:(?:\/\/)?(?:v)?(\d+)$/i.exec(value);
  if (twitch?.[1]) return { kind: 'twitch', id: twitch[1] };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return { kind: 'http', url: value };
  return { kind: 'file', path: resolve(cwd, value) };
}

/** The file name a source suggests (for extensions and default ids). */
export function sourceName(source: Source): string {
  switch (source.kind) {
    case 'file':
      return source.path.split('/').pop() ?? source.path;
    case 'http':
      return new URL(source.url).pathname.split('/').pop() || 'download';
    case 'twitch':
      return `twitch-${source.id}.mp4`;
  }
}
