import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGoogleIdTokenVerifier } from '../../src/auth/google-id-token.js';
import { formatResults, runTokenChecks } from '../../src/check/check-tokens.js';
import { importRefreshToken } from '../../src/cli/tokens.js';
import { buildSimulator, type Simulator } from '../../src/sim/index.js';
import { TeslaOAuthClient } from '../../src/tesla/oauth.js';
import { TokenBroker } from '../../src/tokens/broker.js';
import { FileTokenStore } from '../../src/tokens/file-store.js';
import { buildWorkerApp } from '../../src/worker/app.js';
import { googleIdTokenAuth } from '../../src/worker/google-auth.js';
import { spawnCli } from '../helpers/processes.js';
import type { SimAccount } from '../helpers/sim.js';
import { tempDir } from '../helpers/temp.js';
import { idToken, jwksServer, SCOUT_SA, signingKey, WORKER_URL, type SigningKey } from './id-tokens.js';

/** `check-tokens` against a Worker in google mode, with the ID token minted from local keys. */
let sim: Simulator;
let simUrl: string;
let dir: Awaited<ReturnType<typeof tempDir>>;
let store: FileTokenStore;
let app: FastifyInstance;
let workerUrl: string;
let signer: SigningKey;
let jwks: Awaited<ReturnType<typeof jwksServer>>;

beforeAll(async () => {
  sim = await buildSimulator();
  simUrl = await sim.listen(0, '127.0.0.1');
  const res = await fetch(new URL('/sim/accounts', simUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const account = (await res.json()) as SimAccount;
  dir = await tempDir();
  store = new FileTokenStore({ path: join(dir.path, 'store.json'), key: randomBytes(32) });
  await importRefreshToken(store, 'default', account.refresh_token);
  signer = await signingKey('g1');
  jwks = await jwksServer([signer.jwk]);
  const verifier = createGoogleIdTokenVerifier({ audiences: [WORKER_URL], allowedCallers: [SCOUT_SA], jwksUrl: jwks.url });
  const broker = new TokenBroker({ store, tesla: new TeslaOAuthClient({ authUrl: simUrl, clientId: account.client_id }) });
  app = await buildWorkerApp({ broker, account: 'default', auth: googleIdTokenAuth(verifier), storeKind: store.kind });
  workerUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app.close();
  await jwks.close();
  await store.close();
  await sim.close();
  await dir.cleanup();
});

describe('check-tokens with an ID token (--auth google)', () => {
  it('passes all six checks; the sixth sees 401 for no and for invalid credentials', async () => {
    let minted = 0;
    const results = await runTokenChecks({
      workerUrl,
      teslaApiUrl: simUrl,
      authorization: async () => {
        minted += 1;
        return `Bearer ${await idToken(signer)}`;
      },
    });
    expect(formatResults(results), formatResults(results)).toMatch(/6 passed, 0 failed$/);
    expect(results.find((r) => r.name === 'Worker status endpoint')?.detail).toMatch(/auth google/);
    expect(minted).toBe(1);
  });

  it('fails the token checks with a wrong-audience ID token', async () => {
    const results = await runTokenChecks({ workerUrl, teslaApiUrl: simUrl, authorization: async () => `Bearer ${await idToken(signer, { aud: 'https://elsewhere.run.app' })}` });
    expect(results.find((r) => r.name === 'Worker token endpoint')).toMatchObject({ ok: false, detail: expect.stringMatching(/401/) });
    expect(results.find((r) => r.name === 'Unauthenticated request refused')).toMatchObject({ ok: true });
  });

  it('the CLI refuses an unknown --auth mode', async () => {
    const proc = spawnCli(['check-tokens', '--worker-url', workerUrl, '--auth', 'none'], {});
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toMatch(/--auth: "none" is not shared-secret or google/);
  });
});
