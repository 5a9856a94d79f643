import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyId, open, parseEncryptionKey, seal } from '../../src/tokens/crypto.js';
import { StoreCorruptError } from '../../src/tokens/store.js';

const key = randomBytes(32);

describe('parseEncryptionKey', () => {
  it('accepts 32 bytes as hex, base64 and base64url, padded or not, with surrounding whitespace', () => {
    const forms = [
      key.toString('hex'),
      key.toString('hex').toUpperCase(),
      key.toString('base64'),
      key.toString('base64').replace(/=+$/, ''),
      key.toString('base64url'),
      `  ${key.toString('base64')}\n`,
    ];
    for (const form of forms) expect(parseEncryptionKey(form)).toEqual(key);
  });

  it('refuses anything else, says how to make a key, and never repeats the input', () => {
    const wrong = [
      '',
      'secret-passphrase!',
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('base64'),
      randomBytes(16).toString('hex'),
      `${key.toString('hex')}00`,
      key.toString('base64').replace(/=$/, '').slice(0, -1) + 'B', // last character carries stray bits
      'Zm9v===',
    ];
    for (const text of wrong) {
      let message = '';
      try {
        parseEncryptionKey(text);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain('openssl rand -base64 32');
      expect(message).toContain('TOKEN_ENCRYPTION_KEY');
      if (text.length > 3) expect(message).not.toContain(text.trim());
    }
  });

  it('names the source it was given', () => {
    expect(() => parseEncryptionKey('x', 'key file /a/b.key')).toThrow(/^key file \/a\/b\.key/);
  });
});

describe('seal / open', () => {
  it('round-trips and uses a fresh nonce every time', () => {
    const a = seal('{"refreshToken":"rt"}', key, 'ctx');
    const b = seal('{"refreshToken":"rt"}', key, 'ctx');
    expect(a).not.toEqual(b);
    expect(open(a, key, 'ctx').toString()).toBe('{"refreshToken":"rt"}');
    expect(open(Buffer.from(b), key, 'ctx').toString()).toBe('{"refreshToken":"rt"}');
    expect(JSON.parse(a)).toMatchObject({ offpeak: 'sealed', v: 1, alg: 'aes-256-gcm', kid: keyId(key) });
  });

  it('fails with StoreCorruptError for a wrong key (saying so) or a different purpose', () => {
    const sealed = seal('x', key, 'ctx');
    expect(() => open(sealed, randomBytes(32), 'ctx', 'the file')).toThrow(
      /^cannot decrypt the file: wrong TOKEN_ENCRYPTION_KEY or damaged file \(it was sealed with a different key\)$/,
    );
    expect(() => open(sealed, key, 'other')).toThrow(StoreCorruptError);
  });

  it('fails with StoreCorruptError for every single-bit change of the ciphertext', () => {
    const sealed = JSON.parse(seal('some plaintext worth protecting', key, 'ctx')) as Record<string, string>;
    const data = Buffer.from(sealed.data!, 'base64');
    fc.assert(
      fc.property(fc.nat(data.length - 1), fc.nat(7), (index, bit) => {
        const changed = Buffer.from(data);
        changed[index]! ^= 1 << bit;
        const envelope = JSON.stringify({ ...sealed, data: changed.toString('base64') });
        expect(() => open(envelope, key, 'ctx')).toThrow(StoreCorruptError);
      }),
    );
  });

  it('refuses envelopes of an unknown version and keys of the wrong size', () => {
    const sealed = JSON.parse(seal('x', key, 'ctx')) as Record<string, unknown>;
    expect(() => open(JSON.stringify({ ...sealed, v: 2 }), key, 'ctx')).toThrow(/version 2/);
    expect(() => seal('x', randomBytes(16), 'ctx')).toThrow(RangeError);
  });
});
