import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StackConfig } from '../common/stack-config.ts';

export type ObjectStoreErrorKind = 'not-found' | 'unreachable' | 'denied' | 'failed';

/** The one error type of the object-store boundary. */
export class ObjectStoreError extends Error {
  constructor(
    readonly kind: ObjectStoreErrorKind,
    readonly status: number | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ObjectStoreError';
  }
}

function toStoreError(error: unknown, what: string): ObjectStoreError {
  if (error instanceof ObjectStoreError) return error;
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode ?? null;
    const kind = status === 404 ? 'not-found' : status === 403 ? 'denied' : 'failed';
    return new ObjectStoreError(kind, status, `${what}: ${error.name}`, { cause: error });
  }
  const code = (error as { code?: string } | null)?.code;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT') {
    return new ObjectStoreError('unreachable', null, `${what}: object store unreachable (${code})`, { cause: error });
  }
  return new ObjectStoreError('failed', null, `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/** Part size of multipart uploads; files up to one part go up in a single PUT. */
export const UPLOAD_PART_BYTES = 8 * 1024 * 1024;
/** Parts in flight at once (memory: about this many parts). */
const UPLOAD_QUEUE = 4;

export interface PutOptions {
  /** Cancels the upload; a multipart upload is aborted on S3 before the call rejects. */
  signal?: AbortSignal;
  onBytes?: (done: number, total: number) => void;
}

/** Object storage of the lake (MinIO locally, S3 in the cloud). */
export interface ObjectStore {
  readonly bucket: string;
  ensureBucket(): Promise<void>;
  exists(key: string): Promise<boolean>;
  /**
   * Uploads a file unless the key already holds an object (keys are content-addressed). Returns whether
   * it wrote. Large files go up in parts of `UPLOAD_PART_BYTES`; a cancelled or failed upload aborts its
   * multipart upload, and unfinished multipart uploads of the same key left by a killed process are
   * aborted before a new one starts (one writer per key: keys are content-addressed and per VOD).
   */
  putFileOnce(key: string, path: string, contentType?: string, options?: PutOptions): Promise<boolean>;
  /**
   * Unfinished multipart uploads of a key (for audits and tests). S3 reads the argument as a prefix;
   * MinIO lists only the uploads of exactly that key.
   */
  listMultipartUploads(key: string): Promise<Array<{ key: string; upload_id: string }>>;
  getToFile(key: string, path: string, signal?: AbortSignal): Promise<void>;
  remove(key: string): Promise<void>;
  /** Every key under a prefix (for audits and tests). */
  listKeys(prefix: string): Promise<string[]>;
  uri(key: string): string;
}

/**
 * @example
 * const store = createObjectStore(loadConfig());
 * await store.putFileOnce(objectKeys.vod('v1', sha, 'mp4'), '/tmp/v1.mp4');
 */
export function createObjectStore(config: StackConfig): ObjectStore {
  // The SDK warns on every process start under Node 20; the stack pins Node 20 on purpose.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({
    endpoint: config.s3Endpoint,
    region: config.region,
    forcePathStyle: true,
    credentials: config.credentials,
  });
  const bucket = config.bucket;
  const exists = async (key: string): Promise<boolean> => {
    try {
      await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (error) {
      const storeError = toStoreError(error, `head ${key}`);
      if (storeError.kind === 'not-found') return false;
      throw storeError;
    }
  };
  const listMultipartUploads = async (prefix: string): Promise<Array<{ key: string; upload_id: string }>> => {
    const uploads: Array<{ key: string; upload_id: string }> = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      try {
        const page = await client.send(
          new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
        for (const item of page.Uploads ?? []) if (item.Key && item.UploadId) uploads.push({ key: item.Key, upload_id: item.UploadId });
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } catch (error) {
        throw toStoreError(error, `list uploads ${prefix}`);
      }
    } while (keyMarker);
    return uploads;
  };
  return {
    bucket,
    uri: (key) => `s3://${bucket}/${key}`,
    exists,
    async ensureBucket() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
        return;
      } catch (error) {
        if (toStoreError(error, bucket).kind !== 'not-found') throw toStoreError(error, `bucket ${bucket}`);
      }
      try {
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw toStoreError(error, `create bucket ${bucket}`);
      }
    },
    async putFileOnce(key, path, contentType, options = {}) {
      const { signal, onBytes } = options;
      signal?.throwIfAborted();
      if (await exists(key)) return false;
      for (const stale of await listMultipartUploads(key)) {
        if (stale.key !== key) continue;
        try {
          await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: stale.upload_id }));
        } catch (error) {
          const storeError = toStoreError(error, `abort upload ${key}`);
          if (storeError.kind !== 'not-found') throw storeError;
        }
      }
      const { size } = await stat(path);
      const body = createReadStream(path, { highWaterMark: 1 << 20 });
      // Cancelling fails the body stream rather than calling Upload.abort(): abort() rejects at once
      // while parts are still in flight and aborts the multipart upload later, in the background; a
      // failed body makes the upload wait for its parts, abort the multipart upload, then reject.
      const cancel = () => body.destroy(signal?.reason instanceof Error ? signal.reason : new Error('upload cancelled'));
      signal?.addEventListener('abort', cancel, { once: true });
      if (signal?.aborted) cancel();
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: key, Body: body, ContentLength: size, ContentType: contentType },
        partSize: UPLOAD_PART_BYTES,
        queueSize: UPLOAD_QUEUE,
        leavePartsOnError: false,
      });
      if (onBytes) upload.on('httpUploadProgress', (progress) => onBytes(progress.loaded ?? 0, size));
      try {
        await upload.done();
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw toStoreError(error, `put ${key}`);
      } finally {
        signal?.removeEventListener('abort', cancel);
        body.destroy();
      }
      return true;
    },
    listMultipartUploads,
    async listKeys(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        try {
          const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
          for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key);
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } catch (error) {
          throw toStoreError(error, `list ${prefix}`);
        }
      } while (token);
      return keys.sort();
    },
    async remove(key) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        throw toStoreError(error, `delete ${key}`);
      }
    },
    async getToFile(key, path, signal) {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
        await pipeline(response.Body as Readable, createWriteStream(path));
      } catch (error) {
        throw toStoreError(error, `get ${key}`);
      }
    },
  };
}
