import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** sha256 (hex) and size of a file, streamed; `onBytes` reports progress on big files. */
export async function hashFile(path: string, onBytes?: (done: number, total: number) => void): Promise<{ sha256: string; bytes: number }> {
  const { size } = await stat(path);
  const hash = createHash('sha256');
  let done = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    onBytes?.(done, size);
  }
  return { sha256: hash.digest('hex'), bytes: size };
}
