import { describe, expect, it } from 'vitest';
import { signV4 } from '../../../infra/services/sign-v4.ts';

// The worked examples of Amazon S3's "Signature Version 4: authenticating requests (Authorization header)" documentation.
const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const scope = { region: 'us-east-1', service: 's3' };
const at = new Date('2013-05-24T00:00:00Z');
const signatureOf = (headers: Record<string, string>) => /Signature=([0-9a-f]{64})$/.exec(headers.authorization ?? '')?.[1];

describe('signV4', () => {
  it.each([
    ['GET object with a Range header', 'https://examplebucket.s3.amazonaws.com/test.txt', { Range: 'bytes=0-9' }, 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'],
    ['GET bucket lifecycle (a query key without value)', 'https://examplebucket.s3.amazonaws.com/?lifecycle', {}, 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543'],
    ['list objects (query sorted and encoded)', 'https://examplebucket.s3.amazonaws.com/?prefix=J&max-keys=2', {}, '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7'],
  ])('%s matches the published signature', (_name, url, headers, signature) => {
    const signed = signV4({ method: 'GET', url: new URL(url), headers }, credentials, scope, at);
    expect(signatureOf(signed)).toBe(signature);
    expect(signed['x-amz-date']).toBe('20130524T000000Z');
    expect(signed.authorization).toContain('Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request');
  });

  it('signs the body: another body, another signature and content hash', () => {
    const url = new URL('http://127.0.0.1:9000/minio/admin/v3/add-canned-policy?name=p');
    const a = signV4({ method: 'PUT', url, body: Buffer.from('{"a":1}') }, credentials, scope, at);
    const b = signV4({ method: 'PUT', url, body: Buffer.from('{"a":2}') }, credentials, scope, at);
    expect(a['x-amz-content-sha256']).not.toBe(b['x-amz-content-sha256']);
    expect(signatureOf(a)).not.toBe(signatureOf(b));
    expect(a.host).toBe('127.0.0.1:9000');
  });
});
