import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGoogleIdTokenVerifier } from '../../src/auth/google-id-token.js';
import { workerAuth } from '../../src/compose.js';
import { ConfigError, loadEnv } from '../../src/config.js';
import { buildWorkerApp } from '../../src/worker/app.js';
import { googleIdTokenAuth } from '../../src/worker/google-auth.js';
import { tokenWorld } from '../helpers/token-world.js';
import { captureLogger } from '../helpers/log-capture.js';
import { idToken, jwksServer, SCHEDULER_SA, SCOUT_SA, signingKey, WORKER_URL, type SigningKey } from './id-tokens.js';

let known: SigningKey;
let unknown: SigningKey;
let jwks: Awaited<ReturnType<typeof jwksServer>>;

beforeAll(async () => {
  [known, unknown] = await Promise.all([signingKey('google-1'), signingKey('not-google')]);
  jwks = await jwksServer([known.jwk]);
});
afterAll(() => jwks.close());

describe('Worker in google mode (ID tokens verified against a local JWKS)', () => {
  let world: Awaited<ReturnType<typeof tokenWorld>>;
  let app: FastifyInstance;
  let log: ReturnType<typeof captureLogger>;

  beforeEach(async () => {
    world = await tokenWorld();
    ({ log } = world);
    const { broker, store } = world;
    const verifier = createGoogleIdTokenVerifier({ audiences: [WORKER_URL], allowedCallers: [SCOUT_SA, SCHEDULER_SA], jwksUrl: jwks.url });
    app = await buildWorkerApp({ broker, account: 'default', auth: googleIdTokenAuth(verifier, log.logger), storeKind: store.kind, logger: log.logger });
  });

  afterEach(async () => {
    await app.close();
    await world.close();
  });

  const getToken = (authorization?: string) =>
    app.inject({ method: 'GET', url: '/get-token', headers: authorization ? { authorization } : {} });

  it('accepts an allowed caller with a valid ID token and names it in the log', async () => {
    const res = await getToken(`Bearer ${await idToken(known)}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ token_type: 'Bearer' });
    const shared = log.lines().map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'token_shared');
    expect(shared).toMatchObject({ caller: SCOUT_SA });
    const status = await app.inject({ method: 'GET', url: '/worker-status', headers: { authorization: `Bearer ${await idToken(known, { email: SCHEDULER_SA })}` } });
    expect(status.json()).toMatchObject({ auth_mode: 'google' });
  });

  const nowSec = () => Math.floor(Date.now() / 1000);
  it.each<[string, () => Promise<string>, string]>([
    ['wrong audience', () => idToken(known, { aud: 'https://evil.example' }), 'wrong_audience'],
    ['wrong issuer', () => idToken(known, { iss: 'https://evil.example' }), 'wrong_issuer'],
    ['expired', () => idToken(known, { iat: nowSec() - 7200, exp: nowSec() - 3600 }), 'expired'],
    ['unknown key', () => idToken(unknown), 'unknown_key'],
    ['disallowed caller', () => idToken(known, { email: 'intruder@proj.iam.gserviceaccount.com' }), 'caller_not_allowed'],
  ])('refuses %s with 401, logs the reason and never the token', async (_name, make, reason) => {
    const token = await make();
    const res = await getToken(`Bearer ${token}`);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: 'unauthorized' });
    expect(res.body).not.toContain('access_token');
    const refused = log.lines().map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'id_token_refused');
    expect(refused).toMatchObject({ reason, severity: 'WARNING' });
    expect(log.text()).not.toContain(token);
    expect(log.text()).not.toContain(token.split('.')[2]!);
  });

  it('refuses a missing header, a non-bearer header and the shared-secret style, each with 401', async () => {
    expect((await getToken()).statusCode).toBe(401);
    expect((await getToken('Basic dXNlcjpwYXNz')).statusCode).toBe(401);
    expect((await getToken('Bearer some-shared-secret-0123456789')).statusCode).toBe(401);
    const reasons = log.lines().map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'id_token_refused').map((l) => l.reason);
    expect(reasons).toEqual(['missing', 'not_bearer', 'malformed']);
  });

  it('leaves /health open', async () => {
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).not.toBe(401);
  });
});

describe('workerAuth(env): the mode is explicit', () => {
  const env = (vars: Record<string, string>) => loadEnv(vars);

  it('defaults to the shared secret, and refuses to start without one', () => {
    expect(workerAuth(env({ WORKER_SHARED_SECRET: 'a-shared-secret-0123456789' })).mode).toBe('shared-secret');
    expect(() => workerAuth(env({}))).toThrow(/WORKER_SHARED_SECRET is not set/);
  });

  it('google mode needs audiences and allowed callers, named in a ConfigError; never falls back', () => {
    // A shared secret present does not rescue an incomplete google configuration.
    const incomplete = env({ WORKER_AUTH_MODE: 'google', WORKER_SHARED_SECRET: 'a-shared-secret-0123456789' });
    expect(() => workerAuth(incomplete)).toThrow(ConfigError);
    expect(() => workerAuth(incomplete)).toThrow(/WORKER_AUDIENCES.*WORKER_ALLOWED_CALLERS/);
    expect(() => workerAuth(env({ WORKER_AUTH_MODE: 'google', WORKER_AUDIENCES: WORKER_URL }))).toThrow(/needs WORKER_ALLOWED_CALLERS/);
    expect(() => workerAuth(env({ WORKER_AUTH_MODE: 'google', WORKER_ALLOWED_CALLERS: ' , ' }))).toThrow(/WORKER_AUDIENCES/);
  });

  it('google mode with both lists builds the ID-token check', async () => {
    const auth = workerAuth(env({ WORKER_AUTH_MODE: 'google', WORKER_AUDIENCES: `${WORKER_URL}, https://other.example`, WORKER_ALLOWED_CALLERS: `${SCOUT_SA},${SCHEDULER_SA}` }));
    expect(auth.mode).toBe('google');
    expect(await auth.authenticate(undefined)).toBeNull();
    expect(await auth.authenticate('Bearer not.a-jwt')).toBeNull(); // refused before any key fetch
  });

  it('an unknown mode is a configuration error, not a default', () => {
    expect(() => env({ WORKER_AUTH_MODE: 'none' })).toThrow(/WORKER_AUTH_MODE must be "shared-secret" or "google"/);
  });
});
