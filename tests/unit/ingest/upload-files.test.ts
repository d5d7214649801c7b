import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../../catalog/object-store.ts';
import { uploadFiles } from '../../../functions/ingest/upload-files.ts';

/** A store that holds keys in a set, fails the put of `failOn`, and logs every call. */
function stubStore(existing: string[], failOn?: string) {
  const held = new Set(existing);
  const calls: string[] = [];
  const store = {
    async putFileOnce(key: string) {
      calls.push(`put ${key}`);
      if (key === failOn) throw new Error(`put ${key}: connection reset`);
      if (held.has(key)) return false;
      held.add(key);
      return true;
    },
    async remove(key: string) {
      calls.push(`remove ${key}`);
      held.delete(key);
    },
  } as unknown as ObjectStore;
  return { store, held, calls };
}

describe('uploadFiles', () => {
  const files = ['a', 'b', 'c'].map((key) => ({ key, path: `/tmp/${key}` }));

  it('reports what it wrote, not what was there already', async () => {
    const { store, held } = stubStore(['b']);
    const uploads = await uploadFiles(store, files);
    expect(uploads.written).toEqual(['a', 'c']);
    expect([...held].sort()).toEqual(['a', 'b', 'c']);
  });

  it('removes its own earlier uploads when a later one fails, never an object that was there before', async () => {
    const { store, held, calls } = stubStore(['b'], 'c');
    await expect(uploadFiles(store, files)).rejects.toThrow('connection reset');
    expect(calls).toEqual(['put a', 'put b', 'put c', 'remove a']);
    expect([...held]).toEqual(['b']);
  });

  it('removes what it wrote when the check after the uploads fails', async () => {
    const { store, held } = stubStore(['b']);
    const after = () => {
      throw new Error('injected failure at media-uploaded (test_fail_at)');
    };
    await expect(uploadFiles(store, files, { after })).rejects.toThrow('injected failure');
    expect([...held]).toEqual(['b']);
  });

  it('discard() removes what it wrote when the stage fails after its uploads', async () => {
    const { store, held, calls } = stubStore(['b']);
    const uploads = await uploadFiles(store, files);
    await uploads.discard();
    expect(calls.filter((c) => c.startsWith('remove'))).toEqual(['remove a', 'remove c']);
    expect([...held]).toEqual(['b']);
  });

  it('stops at a cancellation and removes what it wrote', async () => {
    const cancel = new AbortController();
    const { store, held } = stubStore([]);
    const put = store.putFileOnce.bind(store);
    // Like the real store: a put checks the signal first; the cancel comes while `a` goes up.
    store.putFileOnce = async (key, path, type, options) => {
      options?.signal?.throwIfAborted();
      const wrote = await put(key, path, type, options);
      if (key === 'a') cancel.abort(new Error('cancelled'));
      return wrote;
    };
    await expect(uploadFiles(store, files, { signal: cancel.signal })).rejects.toThrow('cancelled');
    expect([...held]).toEqual([]);
  });
});
