import { createCipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';

/** madmin's AEAD ids; PBKDF2 + AES-256-GCM is the one Node's crypto derives without argon2. */
const PBKDF2_AES_GCM = 0x02;
const PBKDF2_ROUNDS = 8192;
/** sio-go's default fragment size: the plaintext is sealed in fragments of this many bytes. */
const FRAGMENT = 1 << 14;
const FINAL = 0x80;

function seal(key: Buffer, nonce: Buffer, plaintext: Uint8Array, associatedData: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(associatedData);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/**
 * Encrypts a MinIO admin API request body the way `madmin.EncryptData` does, so the server's
 * `DecryptData` opens it with the caller's secret key:
 * `salt(32) | aead id(1) | nonce(8) | sio-go stream`. The stream seals each 16 KiB fragment with
 * nonce = nonce ‖ uint32le(seq) and associated data = flag ‖ tag₀, where tag₀ seals nothing under
 * seq 0 and the flag is 0x80 on the last fragment (here the only one, seq 1).
 *
 * @example
 * const body = sealAdminPayload(rootSecret, Buffer.from(JSON.stringify({ secretKey, status: 'enabled' })));
 */
export function sealAdminPayload(password: string, plaintext: Uint8Array): Buffer {
  // Admin requests are a few hundred bytes: one fragment, which is then also the last.
  if (plaintext.length > FRAGMENT) throw new RangeError(`admin payload of ${plaintext.length} bytes is over one ${FRAGMENT}-byte fragment`);
  const salt = randomBytes(32);
  const nonce = randomBytes(8);
  const key = pbkdf2Sync(password, salt, PBKDF2_ROUNDS, 32, 'sha256');
  const nonceOf = (seq: number) => {
    const full = Buffer.alloc(12);
    nonce.copy(full);
    full.writeUInt32LE(seq, 8);
    return full;
  };
  const tag0 = seal(key, nonceOf(0), new Uint8Array(), new Uint8Array());
  const only = seal(key, nonceOf(1), plaintext, Buffer.concat([Buffer.of(FINAL), tag0]));
  return Buffer.concat([salt, Buffer.of(PBKDF2_AES_GCM), nonce, only]);
}
