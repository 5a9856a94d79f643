import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { StoreCorruptError } from './store.js';

/**
 * AES-256-GCM sealing for secrets at rest (SYSTEM.md token rule 6).
 *
 * The envelope is a small JSON text so that a human who opens the file sees what it is, and so that a later
 * format can be told apart by its `v`. GCM authenticates everything: a wrong key, a flipped byte or an
 * envelope moved to another purpose (different `aad`) all fail the same way, as StoreCorruptError.
 */

const KEY_BYTES = 32;
const IV_BYTES = 12; // the GCM standard nonce size; random per seal, so a key can seal ~2^32 times safely
const TAG_BYTES = 16;
const ENVELOPE_VERSION = 1;
const HOW_TO_MAKE = 'make one with: openssl rand -base64 32';

interface EnvelopeV1 {
  offpeak: 'sealed';
  v: 1;
  alg: 'aes-256-gcm';
  /** Key id: tells "wrong key" from "damaged data" in error messages without revealing the key. */
  kid: string;
  iv: string;
  tag: string;
  data: string;
}

/**
 * Reads a 32-byte key written as 64 hex characters or as base64 / base64url (padded or not).
 * Errors say what is wrong and how to make a key, never what the key was.
 */
export function parseEncryptionKey(text: string, source = 'TOKEN_ENCRYPTION_KEY'): Buffer {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error(`${source} is empty: it must be 32 random bytes in base64 or hex; ${HOW_TO_MAKE}`);
  if (/^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length === KEY_BYTES * 2) return Buffer.from(trimmed, 'hex');
  const unpadded = trimmed.replace(/=+$/, '');
  const isBase64 = /^[A-Za-z0-9+/]+$/.test(unpadded) || /^[A-Za-z0-9_-]+$/.test(unpadded);
  if (!isBase64 || trimmed.length - unpadded.length > 2) {
    throw new Error(
      `${source} is neither hex nor base64 (it contains other characters): it must be 32 random bytes; ${HOW_TO_MAKE}`,
    );
  }
  // Node's decoder silently skips junk, so check the decoded length and that re-encoding gives the input back.
  const standard = unpadded.replace(/-/g, '+').replace(/_/g, '/');
  const key = Buffer.from(standard, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new Error(
      `${source} decodes to ${key.length} bytes but must be exactly ${KEY_BYTES} ` +
        `(44 base64 characters or 64 hex characters); ${HOW_TO_MAKE}`,
    );
  }
  if (key.toString('base64').replace(/=+$/, '') !== standard) {
    throw new Error(`${source} is not canonical base64 (its last character is off; was it cut or edited?); ${HOW_TO_MAKE}`);
  }
  return key;
}

/** A short public identifier of a key (an HMAC under the key itself, so it reveals nothing usable). */
export function keyId(key: Buffer): string {
  checkKey(key);
  return createHmac('sha256', key).update('offpeak key id').digest('hex').slice(0, 8);
}

/** Encrypts `plaintext`; `aad` binds the envelope to its purpose (it must be given again to open it). */
export function seal(plaintext: string | Uint8Array, key: Buffer, aad: string): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(aad));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const envelope: EnvelopeV1 = {
    offpeak: 'sealed',
    v: ENVELOPE_VERSION,
    alg: 'aes-256-gcm',
    kid: keyId(key),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
  return `${JSON.stringify(envelope)}\n`;
}

/**
 * Decrypts an envelope made by `seal`. `label` names the thing in error messages (e.g. the file path).
 * Throws StoreCorruptError for anything that is not an intact envelope sealed with this key and `aad`.
 */
export function open(envelope: string | Uint8Array, key: Buffer, aad: string, label = 'sealed data'): Buffer {
  checkKey(key);
  const env = parseEnvelope(envelope, label);
  const iv = Buffer.from(env.iv, 'base64');
  const tag = Buffer.from(env.tag, 'base64');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new StoreCorruptError(`cannot decrypt ${label}: damaged file (bad nonce or tag length)`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(aad));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(env.data, 'base64')), decipher.final()]);
  } catch {
    // The cause (OpenSSL's "unable to authenticate data") adds nothing, so it is left out on purpose.
    const hint = env.kid !== keyId(key) ? ' (it was sealed with a different key)' : '';
    throw new StoreCorruptError(`cannot decrypt ${label}: wrong TOKEN_ENCRYPTION_KEY or damaged file${hint}`);
  }
}

function parseEnvelope(envelope: string | Uint8Array, label: string): EnvelopeV1 {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof envelope === 'string' ? envelope : Buffer.from(envelope).toString('utf8'));
  } catch {
    parsed = null;
  }
  const env = parsed as Partial<EnvelopeV1> | null;
  if (!env || typeof env !== 'object' || env.offpeak !== 'sealed') {
    throw new StoreCorruptError(`cannot decrypt ${label}: wrong TOKEN_ENCRYPTION_KEY or damaged file (not an offpeak sealed envelope)`);
  }
  if (env.v !== ENVELOPE_VERSION || env.alg !== 'aes-256-gcm') {
    throw new StoreCorruptError(
      `cannot decrypt ${label}: envelope version ${String(env.v)} / ${String(env.alg)} is not supported (written by a newer offpeak?)`,
    );
  }
  for (const field of ['kid', 'iv', 'tag', 'data'] as const) {
    if (typeof env[field] !== 'string') throw new StoreCorruptError(`cannot decrypt ${label}: damaged file (no ${field})`);
  }
  return env as EnvelopeV1;
}

/** The envelope's version and algorithm are authenticated too, so they cannot be swapped unnoticed. */
function additionalData(aad: string): Buffer {
  return Buffer.from(`offpeak-sealed/v${ENVELOPE_VERSION}/aes-256-gcm/${aad}`, 'utf8');
}

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new RangeError(`an encryption key must be ${KEY_BYTES} bytes; ${HOW_TO_MAKE}`);
  }
}
