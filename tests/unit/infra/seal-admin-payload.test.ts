import { createCipheriv, createDecipheriv, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sealAdminPayload } from '../../../infra/services/seal-admin-payload.ts';

/** madmin.DecryptData for the PBKDF2 + AES-GCM id, written from its specification, for one-fragment payloads. */
function open(password: string, sealed: Buffer): Buffer {
  const salt = sealed.subarray(0, 32);
  expect(sealed[32]).toBe(0x02);
  const nonce = sealed.subarray(33, 41);
  const key = pbkdf2Sync(password, salt, 8192, 32, 'sha256');
  const nonceOf = (seq: number) => Buffer.concat([nonce, Buffer.from(Uint32Array.of(seq).buffer)]);
  const gcm = (iv: Buffer, data: Buffer, tag: Buffer, aad: Buffer) => {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  };
  // tag₀: the tag of sealing nothing under sequence number 0 (its ciphertext is the tag alone).
  const c0 = createCipheriv('aes-256-gcm', key, nonceOf(0));
  c0.final();
  const tag0 = c0.getAuthTag();
  const body = sealed.subarray(41);
  return gcm(nonceOf(1), body.subarray(0, -16), body.subarray(-16), Buffer.concat([Buffer.of(0x80), tag0]));
}

describe('sealAdminPayload', () => {
  it('lays out salt, PBKDF2-AES-GCM id, nonce and one final fragment that opens with the password', () => {
    const plaintext = Buffer.from(JSON.stringify({ secretKey: 'reader-secret-123', status: 'enabled' }));
    const sealed = sealAdminPayload('root-secret-key', plaintext);
    expect(sealed.length).toBe(32 + 1 + 8 + plaintext.length + 16);
    expect(open('root-secret-key', sealed).equals(plaintext)).toBe(true);
    expect(() => open('another-secret', sealed)).toThrow();
  });

  it('never repeats salt or nonce, and refuses payloads over one fragment', () => {
    const a = sealAdminPayload('k'.repeat(16), Buffer.from('x'));
    const b = sealAdminPayload('k'.repeat(16), Buffer.from('x'));
    expect(a.subarray(0, 41).equals(b.subarray(0, 41))).toBe(false);
    expect(() => sealAdminPayload('k'.repeat(16), Buffer.alloc((1 << 14) + 1))).toThrow(RangeError);
  });
});
