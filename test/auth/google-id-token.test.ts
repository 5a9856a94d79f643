import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import {
  createGoogleIdTokenVerifier,
  IdTokenRejectedError,
  type GoogleIdTokenVerifierOptions,
  type IdTokenRejectionReason,
} from '../../src/auth/google-id-token.js';

const AUDIENCE = 'https://offpeak-worker-abc123-lm.a.run.app';
const SCOUT = 'offpeak-scout@proj.iam.gserviceaccount.com';
const SCHEDULER = 'offpeak-scheduler@proj.iam.gserviceaccount.com';
const T0 = Date.parse('2026-03-28T12:00:00Z');

interface KeyPair {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function makeKey(kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** A stand-in for https://www.googleapis.com/oauth2/v3/certs on loopback. */
const jwks = {
  server: undefined as Server | undefined,
  url: '',
  published: [] as JWK[],
  fetches: 0,
  down: false,
};

let k1: KeyPair;
let k2: KeyPair;
let k3: KeyPair;
let stranger: KeyPair;

beforeAll(async () => {
  [k1, k2, k3, stranger] = await Promise.all([makeKey('k1'), makeKey('k2'), makeKey('k3'), makeKey('k1')]);
  jwks.server = createServer((_req, res) => {
    jwks.fetches += 1;
    if (jwks.down) {
      res.writeHead(503).end('unavailable');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=3600' });
    res.end(JSON.stringify({ keys: jwks.published }));
  });
  await new Promise<void>((resolve) => jwks.server!.listen(0, '127.0.0.1', resolve));
  jwks.url = `http://127.0.0.1:${(jwks.server.address() as AddressInfo).port}/oauth2/v3/certs`;
});

afterAll(async () => {
  await new Promise((resolve) => jwks.server?.close(resolve));
});

beforeEach(() => {
  jwks.published = [k1.jwk];
  jwks.fetches = 0;
  jwks.down = false;
});

let clockMs = T0;
const nowSec = () => Math.floor(clockMs / 1000);

function verifier(extra: Partial<GoogleIdTokenVerifierOptions> = {}) {
  clockMs = T0;
  return createGoogleIdTokenVerifier({
    audiences: [AUDIENCE],
    allowedCallers: [SCOUT, SCHEDULER],
    jwksUrl: jwks.url,
    now: () => clockMs,
    ...extra,
  });
}

async function token(claims: JWTPayload = {}, key: KeyPair = k1, header: Record<string, unknown> = {}) {
  return new SignJWT({ email: SCOUT, email_verified: true, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT', ...header })
    .setIssuer((claims.iss as string | undefined) ?? 'https://accounts.google.com')
    .setAudience((claims.aud as string | undefined) ?? AUDIENCE)
    .setIssuedAt((claims.iat as number | undefined) ?? nowSec())
    .setExpirationTime((claims.exp as number | undefined) ?? nowSec() + 3600)
    .sign(key.privateKey);
}

async function reasonOf(promise: Promise<unknown>): Promise<IdTokenRejectionReason> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(IdTokenRejectedError);
    return (err as IdTokenRejectedError).reason;
  }
  throw new Error('expected the token to be refused');
}

describe('createGoogleIdTokenVerifier', () => {
  it('accepts a valid token from an allowed caller and names the caller', async () => {
    const v = verifier();
    const result = await v.verify(await token({ email: SCOUT.toUpperCase() }));
    expect(result.caller).toBe(SCOUT);
    expect(result.claims.aud).toBe(AUDIENCE);
  });

  it('accepts the short issuer form and any configured audience', async () => {
    const v = verifier({ audiences: ['https://other.example', AUDIENCE] });
    await expect(v.verify(await token({ iss: 'accounts.google.com' }))).resolves.toMatchObject({ caller: SCOUT });
  });

  it('tolerates a small clock skew only', async () => {
    const v = verifier({ clockToleranceSec: 30 });
    const expiresAt = nowSec();
    const t = await token({ exp: expiresAt, iat: expiresAt - 3600 });
    clockMs = (expiresAt + 20) * 1000;
    await expect(v.verify(t)).resolves.toBeDefined();
    clockMs = (expiresAt + 40) * 1000;
    expect(await reasonOf(v.verify(t))).toBe('expired');
  });

  it.each<[string, () => Promise<string>, IdTokenRejectionReason]>([
    ['wrong audience', () => token({ aud: 'https://evil.example' }), 'wrong_audience'],
    ['wrong issuer', () => token({ iss: 'https://evil.example' }), 'wrong_issuer'],
    ['expired', () => token({ iat: nowSec() - 7200, exp: nowSec() - 3600 }), 'expired'],
    ['not yet valid', () => new SignJWT({ email: SCOUT, email_verified: true, nbf: nowSec() + 600 })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('https://accounts.google.com').setAudience(AUDIENCE).setIssuedAt(nowSec()).setExpirationTime(nowSec() + 3600)
      .sign(k1.privateKey), 'not_yet_valid'],
    ['unknown key id', () => token({}, k2), 'unknown_key'],
    ['bad signature (right kid, other key)', () => token({}, stranger), 'bad_signature'],
    ['HS256 instead of RS256', () => new SignJWT({ email: SCOUT, email_verified: true })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setIssuer('https://accounts.google.com').setAudience(AUDIENCE)
      .setIssuedAt(nowSec()).setExpirationTime(nowSec() + 3600).sign(new Uint8Array(32)), 'bad_signature'],
    ['disallowed caller', () => token({ email: 'intruder@proj.iam.gserviceaccount.com' }), 'caller_not_allowed'],
    ['no email claim', () => token({ email: undefined }), 'caller_not_allowed'],
    ['unverified email', () => token({ email_verified: false }), 'email_not_verified'],
    ['not a JWT', async () => 'not-a-jwt', 'malformed'],
    ['garbage in three parts', async () => 'aaa.bbb.ccc', 'malformed'],
    ['empty', async () => '', 'malformed'],
    ['no key id', () => token({}, k1, { kid: undefined }), 'malformed'],
  ])('refuses: %s', async (_name, make, reason) => {
    const v = verifier();
    expect(await reasonOf(v.verify(await make()))).toBe(reason);
  });

  it('refuses with keys_unavailable when the JWKS endpoint is down, and recovers after the cooldown', async () => {
    const v = verifier({ jwksCooldownMs: 30_000 });
    const t = await token();
    jwks.down = true;
    expect(await reasonOf(v.verify(t))).toBe('keys_unavailable');
    expect(await reasonOf(v.verify(t))).toBe('keys_unavailable');
    expect(jwks.fetches).toBe(1); // failing endpoint is not hammered
    jwks.down = false;
    clockMs += 31_000;
    await expect(v.verify(t)).resolves.toBeDefined();
  });

  it('refuses with keys_unavailable when nothing listens at the JWKS URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const v = verifier({ jwksUrl: `http://127.0.0.1:${port}/certs` });
    expect(await reasonOf(v.verify(await token()))).toBe('keys_unavailable');
  });

  it('never puts the token into the error message', async () => {
    const v = verifier();
    const t = await token({ aud: 'https://evil.example' });
    const err = await v.verify(t).catch((e: unknown) => e as Error);
    expect(String((err as Error).message)).not.toContain(t);
    expect(String((err as Error).message)).not.toContain(t.split('.')[2]);
  });

  it('caches keys: many verifications, one fetch; refetches after Cache-Control max-age', async () => {
    const v = verifier();
    const t = await token({ exp: nowSec() + 7200 });
    await Promise.all(Array.from({ length: 20 }, () => v.verify(t))); // concurrent cold start shares one fetch
    for (let i = 0; i < 30; i += 1) await v.verify(t);
    expect(jwks.fetches).toBe(1);
    clockMs += 3_601_000; // past max-age=3600
    await v.verify(t);
    expect(jwks.fetches).toBe(2);
  });

  it('a new key id triggers one refetch; unknown ids are refetched at most once per cooldown', async () => {
    const v = verifier({ jwksCooldownMs: 30_000 });
    await v.verify(await token());
    expect(jwks.fetches).toBe(1);

    jwks.published = [k1.jwk, k2.jwk]; // Google rotated in k2
    clockMs += 60_000;
    await expect(v.verify(await token({}, k2))).resolves.toBeDefined();
    expect(jwks.fetches).toBe(2);
    await v.verify(await token({}, k2));
    expect(jwks.fetches).toBe(2);

    // An attacker spraying made-up key ids cannot make us hammer Google.
    for (let i = 0; i < 10; i += 1) expect(await reasonOf(v.verify(await token({}, k3)))).toBe('unknown_key');
    expect(jwks.fetches).toBe(2);
    clockMs += 31_000;
    expect(await reasonOf(v.verify(await token({}, k3)))).toBe('unknown_key');
    expect(jwks.fetches).toBe(3);
  });

  it('keeps using an expired key set for a while if Google cannot be reached', async () => {
    const v = verifier();
    const t = await token({ exp: nowSec() + 86_400 });
    await v.verify(t);
    jwks.down = true;
    clockMs += 3_700_000; // past max-age, within the stale-if-error grace
    await expect(v.verify(t)).resolves.toBeDefined();
    clockMs += 3_700_000; // beyond the grace: refuse rather than trust old keys forever
    expect(await reasonOf(v.verify(t))).toBe('keys_unavailable');
  });

  it('refuses to be built without audiences or callers', () => {
    expect(() => createGoogleIdTokenVerifier({ audiences: [], allowedCallers: [SCOUT] })).toThrow(/audience/);
    expect(() => createGoogleIdTokenVerifier({ audiences: [AUDIENCE], allowedCallers: [' '] })).toThrow(/caller/);
  });
});
