import { z } from 'zod';
import type { Credentials } from '../config.ts';
import { sealAdminPayload } from './seal-admin-payload.ts';
import { signV4 } from './sign-v4.ts';

/** A refused or failed MinIO admin call: `kind` says what to do about it, `code` is MinIO's own. */
export class MinioAdminError extends Error {
  constructor(
    readonly kind: 'denied' | 'unreachable' | 'failed',
    message: string,
    readonly status: number | null = null,
    readonly code: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MinioAdminError';
  }
}

const AdminErrorBody = z.object({ Code: z.string(), Message: z.string().optional() });

/** What `madmin.PolicyAssociationReq` carries: the policies to attach and the user they go to. */
interface PolicyAttachment {
  policies: string[];
  user: string;
}

/**
 * The few calls of MinIO's admin API (`/minio/admin/v3`) that provisioning needs, signed with the
 * root credentials; secret-bearing bodies are sealed as `madmin` does (see seal-admin-payload.ts).
 *
 * @example
 * const admin = minioAdmin({ endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', credentials: root });
 * await admin.addCannedPolicy('lake-read', policyDocument);
 */
export function minioAdmin(target: { endpoint: string; region: string; credentials: Credentials }) {
  const call = async (method: 'GET' | 'PUT' | 'POST', path: string, query: Record<string, string>, body?: Uint8Array) => {
    const url = new URL(`/minio/admin/v3/${path}`, target.endpoint);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const headers = signV4(
      { method, url, body, headers: body ? { 'content-type': 'application/octet-stream' } : {} },
      target.credentials,
      { region: target.region, service: 's3' },
    );
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(15_000) });
    } catch (error) {
      throw new MinioAdminError('unreachable', `MinIO admin API at ${target.endpoint} does not answer`, null, null, { cause: error });
    }
    const text = await response.text();
    if (response.ok) return text;
    let parsed: z.infer<typeof AdminErrorBody> | null = null;
    try {
      const result = AdminErrorBody.safeParse(JSON.parse(text));
      parsed = result.success ? result.data : null;
    } catch {
      parsed = null;
    }
    const code = parsed?.Code ?? null;
    const kind = response.status === 401 || response.status === 403 ? 'denied' : 'failed';
    throw new MinioAdminError(kind, `MinIO admin ${path}: ${response.status} ${code ?? ''} ${parsed?.Message ?? ''}`.trim(), response.status, code);
  };
  const sealed = (value: unknown) => sealAdminPayload(target.credentials.secretAccessKey, Buffer.from(JSON.stringify(value)));

  return {
    /** Creates or replaces a named IAM policy. */
    async addCannedPolicy(name: string, policy: object): Promise<void> {
      await call('PUT', 'add-canned-policy', { name }, Buffer.from(JSON.stringify(policy)));
    },
    /** Creates a user, or sets an existing user's secret, and enables it. */
    async addUser(credentials: Credentials): Promise<void> {
      await call('PUT', 'add-user', { accessKey: credentials.accessKeyId }, sealed({ secretKey: credentials.secretAccessKey, status: 'enabled' }));
    },
    /** Attaches policies to a user; a policy already attached is not an error. */
    async attachPolicy(attachment: PolicyAttachment): Promise<void> {
      try {
        await call('POST', 'idp/builtin/policy/attach', {}, sealed(attachment));
      } catch (error) {
        if (error instanceof MinioAdminError && error.code === 'XMinioAdminPolicyChangeAlreadyApplied') return;
        throw error;
      }
    },
  };
}
