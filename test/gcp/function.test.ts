import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGoogleIdTokenVerifier } from '../../src/auth/google-id-token.js';
import { importRefreshToken } from '../../src/cli/tokens.js';
import { buildSimulator, type Simulator } from '../../src/sim/index.js';
import { TeslaOAuthClient } from '../../src/tesla/oauth.js';
import { TokenBroker } from '../../src/tokens/broker.js';
import { FileTokenStore } from '../../src/tokens/file-store.js';
import { buildWorkerApp } from '../../src/worker/app.js';
import { sharedSecretAuth, type CallerAuth } from '../../src/worker/auth.js';
import { googleIdTokenAuth } from '../../src/worker/google-auth.js';
import type { SimAccount } from '../helpers/sim.js';
import { tempDir } from '../helpers/temp.js';
import { idToken, jwksServer, SCOUT_SA, signingKey } from './id-tokens.js';

/**
 * The Scout's Cloud Function through the Functions Framework's own test server, against the simulator and a
 * Worker both listening on loopback, configured only through the environment as on Google Cloud.
 */
const SECRET = 'function-test-shared-secret-0123456789';
const ENV_KEYS = ['WORKER_SERVICE_URL', 'WORKER_SHARED_SECRET', 'WORKER_AUTH_MODE', 'TESLA_API_URL', 'TOKEN_STORE', 'TOKEN_ENCRYPTION_KEY', 'LOG_LEVEL'];

let sim: Simulator;
let simUrl: string;
let account: SimAccount;
let dir: Awaited<ReturnType<typeof tempDir>>;
let key: Buffer;
let storePath: string;
let store: FileTokenStore;
let fn: Server;
let fnUrl: string;
let overrides: (typeof import('../../src/scout/function.js'))['scoutOverrides'];
const saved: Record<string, string | undefined> = {};

async function startWorker(auth: CallerAuth): Promise<{ app: FastifyInstance; url: string }> {
  const oauth = new TeslaOAuthClient({ authUrl: simUrl, clientId: account.client_id });
  const broker = new TokenBroker({ store, tesla: oauth });
  const app = await buildWorkerApp({ broker, account: 'default', auth, storeKind: store.kind });
  return { app, url: await app.listen({ port: 0, host: '127.0.0.1' }) };
}

const callScout = async (method = 'POST') => {
  const res = await fetch(fnUrl, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' && { body: '{}' }) });
  return { status: res.status, text: await res.text() };
};

const currentAccessToken = async () => (await store.get('default'))?.tokens.accessToken ?? '';

beforeAll(async () => {
  for (const k of ENV_KEYS) saved[k] = process.env[k];
  process.env.LOG_LEVEL = 'silent';
  sim = await buildSimulator();
  simUrl = await sim.listen(0, '127.0.0.1');
  const res = await fetch(new URL('/sim/accounts', simUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"vehicles":2}' });
  account = (await res.json()) as SimAccount;
  dir = await tempDir();
  key = randomBytes(32);
  storePath = join(dir.path, 'store.json');
  store = new FileTokenStore({ path: storePath, key });
  await importRefreshToken(store, 'default', account.refresh_token);

  ({ scoutOverrides: overrides } = await import('../../src/scout/function.js'));
  fn = getTestServer('offpeakScout');
  await new Promise<void>((resolve) => fn.listen(0, '127.0.0.1', resolve));
  fnUrl = `http://127.0.0.1:${(fn.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise((resolve) => fn.close(resolve));
  await store.close();
  await sim.close();
  await dir.cleanup();
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

beforeEach(() => {
  Object.assign(process.env, { TESLA_API_URL: simUrl, TOKEN_STORE: `file:${storePath}`, TOKEN_ENCRYPTION_KEY: key.toString('base64'), WORKER_SHARED_SECRET: SECRET });
  delete process.env.WORKER_AUTH_MODE;
  delete process.env.WORKER_SERVICE_URL;
  for (const k of Object.keys(overrides)) delete (overrides as Record<string, unknown>)[k];
});

describe('offpeakScout (Cloud Function)', () => {
  let worker: { app: FastifyInstance; url: string } | undefined;
  afterEach(async () => {
    await worker?.app.close();
    worker = undefined;
  });

  it('runs one tick with the Worker\'s token: 200 and the tick result, never a token', async () => {
    worker = await startWorker(sharedSecretAuth(SECRET));
    process.env.WORKER_SERVICE_URL = worker.url;
    const res = await callScout();
    expect(res.status, res.text).toBe(200);
    const body = JSON.parse(res.text) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: true, tokenSource: 'worker', skipped: null });
    expect(body.vehicles).toHaveLength(2);
    const token = await currentAccessToken();
    expect(token.length).toBeGreaterThan(20);
    expect(res.text).not.toContain(token);
    expect(res.text).not.toMatch(/access_token|refresh_token|accessToken/);
  });

  it('falls back to the store when the Worker is down: still 200, source "store"', async () => {
    worker = await startWorker(sharedSecretAuth(SECRET));
    process.env.WORKER_SERVICE_URL = worker.url;
    expect((await callScout('GET')).status).toBe(200); // makes sure the store holds a fresh token
    await worker.app.close();
    const res = await callScout();
    expect(res.status, res.text).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ ok: true, tokenSource: 'store' });
  });

  it('503 when the tick was skipped: Worker down and no usable token in the store', async () => {
    worker = await startWorker(sharedSecretAuth(SECRET));
    const url = worker.url;
    await worker.app.close();
    process.env.WORKER_SERVICE_URL = url;
    process.env.TOKEN_STORE = `file:${join(dir.path, 'empty-store.json')}`;
    const res = await callScout();
    expect(res.status, res.text).toBe(503);
    expect(JSON.parse(res.text)).toMatchObject({ ok: false, tokenSource: null, skipped: expect.stringMatching(/no Tesla token available/) });
  });

  it('503 when the Worker refuses the Scout (wrong secret): no fallback hides an auth problem', async () => {
    worker = await startWorker(sharedSecretAuth('another-secret-entirely-0123456789'));
    process.env.WORKER_SERVICE_URL = worker.url;
    const res = await callScout();
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text).skipped).toMatch(/401/);
  });

  it('google mode: the Worker verifies the Scout\'s ID token (minted locally here)', async () => {
    const signer = await signingKey('g1');
    const jwks = await jwksServer([signer.jwk]);
    try {
      const placeholder = await startWorker(sharedSecretAuth(SECRET)); // only to learn a free URL first
      await placeholder.app.close();
      const verifier = createGoogleIdTokenVerifier({ audiences: [placeholder.url], allowedCallers: [SCOUT_SA], jwksUrl: jwks.url });
      const oauth = new TeslaOAuthClient({ authUrl: simUrl, clientId: account.client_id });
      const app = await buildWorkerApp({ broker: new TokenBroker({ store, tesla: oauth }), account: 'default', auth: googleIdTokenAuth(verifier), storeKind: 'file' });
      const port = Number(new URL(placeholder.url).port);
      worker = { app, url: await app.listen({ port, host: '127.0.0.1' }) };
      Object.assign(process.env, { WORKER_SERVICE_URL: placeholder.url, WORKER_AUTH_MODE: 'google' });
      delete process.env.WORKER_SHARED_SECRET; // not needed in google mode
      overrides.authHeader = async () => `Bearer ${await idToken(signer, { aud: placeholder.url })}`;
      const ok = await callScout();
      expect(ok.status, ok.text).toBe(200);
      expect(JSON.parse(ok.text)).toMatchObject({ tokenSource: 'worker' });

      overrides.authHeader = async () => `Bearer ${await idToken(signer, { aud: 'https://someone-else.run.app' })}`;
      process.env.TOKEN_STORE = `file:${join(dir.path, 'empty-store.json')}`;
      expect((await callScout()).status).toBe(503);
    } finally {
      await jwks.close();
    }
  });

  it('configuration errors: 500 with a message naming the variable', async () => {
    let res = await callScout();
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text)).toMatchObject({ error: 'config_error', message: expect.stringMatching(/^WORKER_SERVICE_URL is not set/) });

    process.env.WORKER_SERVICE_URL = 'http://127.0.0.1:9';
    delete process.env.WORKER_SHARED_SECRET;
    res = await callScout();
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text).message).toMatch(/WORKER_SHARED_SECRET is not set/);

    process.env.WORKER_AUTH_MODE = 'none';
    res = await callScout();
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text).message).toMatch(/WORKER_AUTH_MODE must be/);
  });

  it('answers 405 to other methods', async () => {
    expect((await callScout('PUT')).status).toBe(405);
  });
});
