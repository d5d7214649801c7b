import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StackConfig } from '../infra/config.ts';

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

/** Object storage of the lake (MinIO locally, S3 in the cloud). */
export interface ObjectStore {
  readonly bucket: string;
  ensureBucket(): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Uploads a file unless the key already holds an object (keys are content-addressed). Returns whether it wrote. */
  putFileOnce(key: string, path: string, contentType?: string): Promise<boolean>;
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
    async putFileOnce(key, path, contentType) {
      if (await exists(key)) return false;
      const { size } = await stat(path);
      try {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(path), ContentLength: size, ContentType: contentType }),
        );
      } catch (error) {
        throw toStoreError(error, `put ${key}`);
      }
      return true;
    },
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
