import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateMultipartUploadCommand, HeadObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { createObjectStore, UPLOAD_PART_BYTES } from '../../catalog/object-store.ts';
import { config } from './stack.ts';

const store = createObjectStore(config);
const client = new S3Client({ endpoint: config.s3Endpoint, region: config.region, forcePathStyle: true, credentials: config.credentials });
const dir = mkdtempSync(join(tmpdir(), 'dougpt-uploads-'));
const prefix = `it-uploads/${randomUUID()}/`;

/** A file of `parts` upload parts plus a little, random so nothing compresses or dedups. */
function bigFile(name: string, parts: number): string {
  const path = join(dir, name);
  writeFileSync(path, randomBytes(parts * UPLOAD_PART_BYTES + 12_345));
  return path;
}

afterAll(async () => {
  for (const key of await store.listKeys(prefix)) await store.remove(key);
  client.destroy();
});

describe('object store uploads', () => {
  it('a cancelled multipart upload leaves no multipart upload and no object', async () => {
    const key = `${prefix}cancelled.bin`;
    const cancel = new AbortController();
    let during: Promise<Array<{ key: string }>> | null = null;
    const put = store.putFileOnce(key, bigFile('cancelled.bin', 12), undefined, {
      signal: cancel.signal,
      onBytes: (done) => {
        // Once the first part is up, the upload is a multipart one: see it listed, then cancel.
        if (done < UPLOAD_PART_BYTES || during) return;
        during = store.listMultipartUploads(key);
        void during.then(() => cancel.abort(new Error('cancelled by the test')));
      },
    });
    await expect(put).rejects.toThrow('cancelled by the test');
    expect((await during!)?.map((u) => u.key)).toEqual([key]);
    expect(await store.listMultipartUploads(key)).toEqual([]);
    expect(await store.exists(key)).toBe(false);
  });

  it('a failed multipart upload (the file shrinks under it) aborts its multipart upload', async () => {
    const key = `${prefix}failed.bin`;
    const path = bigFile('failed.bin', 8);
    let truncated = false;
    const put = store.putFileOnce(key, path, undefined, {
      onBytes: () => {
        if (!truncated) truncateSync(path, UPLOAD_PART_BYTES + 10);
        truncated = true;
      },
    });
    await expect(put).rejects.toThrow();
    expect(truncated).toBe(true);
    expect(await store.listMultipartUploads(key)).toEqual([]);
    expect(await store.exists(key)).toBe(false);
  });

  it('aborts a multipart upload a killed writer left on the key, then uploads the file in parts', async () => {
    const key = `${prefix}resumed.bin`;
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: config.bucket, Key: key }));
    await client.send(new UploadPartCommand({ Bucket: config.bucket, Key: key, UploadId, PartNumber: 1, Body: randomBytes(UPLOAD_PART_BYTES) }));
    // MinIO lists uploads by exact key only: this proves the listing the other tests rely on sees one.
    expect(await store.listMultipartUploads(key)).toEqual([{ key, upload_id: UploadId }]);

    const path = bigFile('resumed.bin', 2);
    expect(await store.putFileOnce(key, path)).toBe(true);
    expect(await store.listMultipartUploads(key)).toEqual([]);
    const head = await client.send(new HeadObjectCommand({ Bucket: config.bucket, Key: key }));
    expect(head.ContentLength).toBe(2 * UPLOAD_PART_BYTES + 12_345);
    // A multipart object's ETag ends in -<parts>.
    expect(head.ETag).toMatch(/-3"$/);
    expect(await store.putFileOnce(key, path)).toBe(false);
  });
});
