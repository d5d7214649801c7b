import type { StackConfig } from '../config.ts';
import { minioAdmin } from './minio-admin.ts';

/** Name of the MinIO policy that lets its users read the lake bucket and nothing else. */
export const lakeReadPolicyName = (bucket: string): string => `dougpt-read-${bucket}`;

/** IAM policy: list the bucket and get its objects; no writes, no other bucket, no admin actions. */
export function lakeReadPolicy(bucket: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [`arn:aws:s3:::${bucket}`] },
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${bucket}/*`] },
    ],
  };
}

/**
 * Creates (or refreshes) the read-only lake user `dougpt sql` queries with: the policy, the user
 * with `config.readerCredentials`, and the attachment. Idempotent; needs the root credentials.
 *
 * @example
 * await ensureLakeReader(loadConfig()); // then `dougpt sql` reads with config.readerCredentials
 */
export async function ensureLakeReader(config: StackConfig): Promise<void> {
  const admin = minioAdmin({ endpoint: config.s3Endpoint, region: config.region, credentials: config.credentials });
  const policy = lakeReadPolicyName(config.bucket);
  await admin.addCannedPolicy(policy, lakeReadPolicy(config.bucket));
  await admin.addUser(config.readerCredentials);
  await admin.attachPolicy({ policies: [policy], user: config.readerCredentials.accessKeyId });
}
