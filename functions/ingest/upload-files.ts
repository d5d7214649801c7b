import type { ObjectStore } from '../../catalog/object-store.ts';

export interface FileUpload {
  key: string;
  path: string;
  contentType?: string;
}

export interface Uploaded {
  /** Keys this call wrote (the others held an object already). */
  written: string[];
  /** Removes what this call wrote; errors are logged, never thrown (the caller is already failing). */
  discard(): Promise<void>;
}

/**
 * Uploads a stage's files one after another with `putFileOnce`, then runs `after` (a last check) and
 * checks for cancellation. When an upload, `after` or a cancellation fails the call, what it wrote is
 * removed before the error is rethrown; a caller failing later calls `discard`. So a failing stage
 * leaves none of its own objects behind. Objects that existed before are never removed (a committed
 * ingest may refer to them).
 *
 * @example
 * const uploads = await uploadFiles(store, [{ key, path }], { signal, after: () => failIfAsked(hook, 'media-uploaded') });
 */
export async function uploadFiles(
  store: ObjectStore,
  files: FileUpload[],
  options: { signal?: AbortSignal; onBytes?: (key: string, done: number, total: number) => void; after?: () => void } = {},
): Promise<Uploaded> {
  const written: string[] = [];
  const discard = async () => {
    for (const key of written.splice(0)) {
      await store.remove(key).catch((error: unknown) => {
        process.stderr.write(`could not remove ${key} after a failed stage: ${String(error)}\n`);
      });
    }
  };
  try {
    for (const file of files) {
      const onBytes = options.onBytes ? (done: number, total: number) => options.onBytes?.(file.key, done, total) : undefined;
      if (await store.putFileOnce(file.key, file.path, file.contentType, { signal: options.signal, onBytes })) written.push(file.key);
    }
    options.after?.();
    options.signal?.throwIfAborted();
  } catch (error) {
    await discard();
    throw error;
  }
  return { written: [...written], discard };
}
