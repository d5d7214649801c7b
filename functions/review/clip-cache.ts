import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ObjectStore } from '../../catalog/object-store.ts';
import type { ClipWindow } from './clip-window.ts';

/** Clips are Ogg/Opus: small, and every browser plays them. */
export const CLIP_CONTENT_TYPE = 'audio/ogg';

export interface ClipCache {
  /**
   * Path of the clip of `window` of the audio, cut once and reused (cached by item id and window).
   * Takes no cancellation signal: a download or cut is shared by every request that waits on it,
   * so one closed tab must not fail the others (both are short).
   */
  clip(itemId: string, audio: { key: string; sha256: string }, window: ClipWindow): Promise<string>;
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/**
 * Cuts review clips from a VOD's silver audio: the FLAC is downloaded once per VOD into `dir`,
 * clips are cut with ffmpeg and kept beside it. Concurrent requests for the same file share one
 * download or one cut; files appear under their final name only when complete.
 *
 * @example
 * const clips = createClipCache({ store, dir: join(config.paths.home, 'qa-cache', vodId) });
 * const path = await clips.clip(pairId, { key, sha256 }, { start_ms: 1_000, end_ms: 9_000 });
 */
export function createClipCache(deps: { store: ObjectStore; dir: string }): ClipCache {
  const pending = new Map<string, Promise<string>>();
  const once = (path: string, make: (tmp: string) => Promise<void>): Promise<string> => {
    let p = pending.get(path);
    if (!p) {
      p = (async () => {
        if (await stat(path).then((s) => s.size > 0, () => false)) return path;
        const tmp = `${path}.part-${process.pid}`;
        try {
          await make(tmp);
          await rename(tmp, path);
        } catch (error) {
          await rm(tmp, { force: true });
          throw error;
        }
        return path;
      })().finally(() => pending.delete(path));
      pending.set(path, p);
    }
    return p;
  };
  return {
    async clip(itemId, audio, window) {
      await mkdir(join(deps.dir, 'clips'), { recursive: true });
      const flac = await once(join(deps.dir, `${audio.sha256}.flac`), (tmp) => deps.store.getToFile(audio.key, tmp));
      const out = join(deps.dir, 'clips', `${itemId}-${window.start_ms}-${window.end_ms}.ogg`);
      return once(out, async (tmp) => {
        await execa(
          'ffmpeg',
          ['-hide_banner', '-v', 'error', '-y', '-ss', seconds(window.start_ms), '-to', seconds(window.end_ms), '-i', flac,
            '-vn', '-ac', '1', '-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg', tmp],
        );
      });
    },
  };
}
