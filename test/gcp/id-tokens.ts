import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/**
 * Locally generated RSA keys, a loopback stand-in for Google's JWKS endpoint, and ID tokens signed like
 * Google's, for testing the Worker's google mode offline (same approach as test/auth/google-id-token.test.ts).
 */
export const WORKER_URL = 'https://offpeak-worker-abc123-lm.a.run.app';
export const SCOUT_SA = 'offpeak-scout@proj.iam.gserviceaccount.com';
export const SCHEDULER_SA = 'offpeak-scheduler@proj.iam.gserviceaccount.com';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export async function jwksServer(keys: JWK[]): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=3600' });
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/oauth2/v3/certs`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const nowSec = () => Math.floor(Date.now() / 1000);

/** An ID token as Google mints it for a service account; `claims` overrides any field. */
export function idToken(key: SigningKey, claims: JWTPayload = {}): Promise<string> {
  return new SignJWT({ email: SCOUT_SA, email_verified: true, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuer((claims.iss as string | undefined) ?? 'https://accounts.google.com')
    .setAudience((claims.aud as string | undefined) ?? WORKER_URL)
    .setIssuedAt((claims.iat as number | undefined) ?? nowSec())
    .setExpirationTime((claims.exp as number | undefined) ?? nowSec() + 3600)
    .sign(key.privateKey);
}
