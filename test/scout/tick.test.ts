import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importRefreshToken } from '../../src/cli/tokens.js';
import { ManualClock } from '../../src/core/clock.js';
import { runScoutTick } from '../../src/scout/tick.js';
import { bearerSecret, WorkerClient } from '../../src/scout/worker-client.js';
import { FleetClient } from '../../src/tesla/fleet.js';
import { TeslaOAuthClient } from '../../src/tesla/oauth.js';
import { TokenBroker } from '../../src/tokens/broker.js';
import { FileTokenStore } from '../../src/tokens/file-store.js';
import { buildWorkerApp } from '../../src/worker/app.js';
import { sharedSecretAuth } from '../../src/worker/auth.js';
import { injectFetch } from '../helpers/inject-fetch.js';
import { captureLogger } from '../helpers/log-capture.js';
import { inProcessSim } from '../helpers/sim.js';
import { tempDir } from '../helpers/temp.js';

const SECRET = 'scout-test-shared-secret-0123456789';
const HOUR = 3600_000;

const unreachable = (async () => {
  throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });
}) as unknown as typeof fetch;

describe('Scout tick: the smart token path', () => {
  let clock: ManualClock;
  let sim: Awaited<ReturnType<typeof inProcessSim>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: FileTokenStore;
  let workerApp: FastifyInstance;
  let log: ReturnType<typeof captureLogger>;

  const scout = (workerFetch: typeof fetch, options: { store?: boolean } = {}) => {
    const fleet = new FleetClient({ apiUrl: sim.base, fetch: sim.fetch, clock });
    const worker = new WorkerClient({ baseUrl: 'http://worker.test', auth: bearerSecret(SECRET), fetch: workerFetch });
    return { fleet, worker, deps: { worker, fleet, store: options.store === false ? null : store, account: 'default', clock, log: log.logger } };
  };

  beforeEach(async () => {
    clock = new ManualClock(Date.parse('2026-06-01T08:00:00Z'));
    sim = await inProcessSim({ clock });
    dir = await tempDir();
    store = new FileTokenStore({ path: join(dir.path, 'store.json'), key: randomBytes(32), clock });
    const account = await sim.createAccount({ vehicles: 2 });
    await importRefreshToken(store, 'default', account.refresh_token);
    log = captureLogger('scout');
    const oauth = new TeslaOAuthClient({ authUrl: sim.base, clientId: account.client_id, fetch: sim.fetch, clock });
    const broker = new TokenBroker({ store, tesla: oauth, clock });
    workerApp = await buildWorkerApp({ broker, account: 'default', auth: sharedSecretAuth(SECRET), storeKind: 'file', clock });
  });

  afterEach(async () => {
    await workerApp.close();
    await store.close();
    await sim.close();
    await dir.cleanup();
  });

  it('takes its token from the Worker and lists every vehicle without waking any', async () => {
    const { deps } = scout(injectFetch(workerApp));
    const result = await runScoutTick(deps);
    expect(result).toMatchObject({ ok: true, tokenSource: 'worker', skipped: null });
    expect(result.vehicles).toHaveLength(2);
    expect(log.text()).toContain('Tesla token received from Worker (valid 480 min)');
    const stats = await sim.stats();
    expect(stats.wakes).toBe(0);
    expect(stats.billing.data.count + stats.billing.wake.count + stats.billing.command.count).toBe(0);
  });

  it('falls back to the store (read only) when the Worker is unreachable', async () => {
    await runScoutTick(scout(injectFetch(workerApp)).deps); // the Worker refreshes once
    const refreshes = (await sim.stats()).oauth.requests;
    clock.advance(HOUR);
    const result = await runScoutTick(scout(unreachable).deps);
    expect(result).toMatchObject({ ok: true, tokenSource: 'store' });
    expect(log.text()).toMatch(/falling back to the token store/);
    expect((await sim.stats()).oauth.requests).toBe(refreshes); // the Scout spent no refresh token
  });

  it('asks the Worker to refresh when the stored token is expired', async () => {
    await runScoutTick(scout(injectFetch(workerApp)).deps);
    clock.advance(9 * HOUR);
    const realWorker = injectFetch(workerApp);
    // GET /get-token fails (e.g. a proxy in front of the Worker), POST /refresh-tokens gets through.
    const getFails = (async (input: string | URL | Request, init?: RequestInit) =>
      (init?.method ?? 'GET') === 'GET' ? unreachable(input, init) : realWorker(input, init)) as typeof fetch;
    const result = await runScoutTick(scout(getFails).deps);
    expect(result).toMatchObject({ ok: true, tokenSource: 'worker-refresh' });
    expect((await sim.stats()).oauth.refresh_ok).toBe(2); // by the Worker, on the Scout's request
  });

  it('skips the tick with a clear reason, without an exception and without refreshing, when everything fails', async () => {
    await runScoutTick(scout(injectFetch(workerApp)).deps);
    clock.advance(9 * HOUR);
    const requests = (await sim.stats()).oauth.requests;
    const result = await runScoutTick(scout(unreachable).deps);
    expect(result.ok).toBe(false);
    expect(result.tokenSource).toBeNull();
    expect(result.skipped).toMatch(/Worker GET \/get-token: .*ECONNREFUSED.*store: token expired.*Worker POST \/refresh-tokens/);
    expect((await sim.stats()).oauth.requests).toBe(requests);
    expect((await sim.stats()).billing.free.count).toBe(1); // only the first tick's vehicle list
  });

  it('skips when neither the Worker nor a store is available', async () => {
    const result = await runScoutTick(scout(unreachable, { store: false }).deps);
    expect(result.ok).toBe(false);
    expect(result.skipped).toMatch(/store: not configured/);
  });

  it('does not fall back when the Worker says the tokens need a new login', async () => {
    const record = await store.get('default');
    await store.put('default', { tokens: { ...record!.tokens, accessToken: 'still-looks-valid', accessExpiresAt: clock.now() + HOUR, accessIssuedAt: clock.now() }, status: 'reauth_required', statusReason: 'test' }, record!.version);
    const result = await runScoutTick(scout(injectFetch(workerApp)).deps);
    expect(result.ok).toBe(false);
    expect(result.skipped).toMatch(/reauth_required/);
    expect((await sim.stats()).billing.free.count).toBe(0);
  });

  it('on a 401 from Tesla asks the Worker once for a fresh token and retries once', async () => {
    const realWorker = injectFetch(workerApp);
    let posts = 0;
    const staleGet = (async (input: string | URL | Request, init?: RequestInit) => {
      if ((init?.method ?? 'GET') === 'POST') posts++;
      if ((init?.method ?? 'GET') !== 'GET') return realWorker(input, init);
      return Response.json({ access_token: 'revoked-token', token_type: 'Bearer', expires_at: new Date(clock.now() + HOUR).toISOString(), remaining_minutes: 60 });
    }) as typeof fetch;
    const result = await runScoutTick(scout(staleGet).deps);
    expect(result).toMatchObject({ ok: true });
    expect(result.vehicles).toHaveLength(2);
    expect(posts).toBe(1);
    expect(log.text()).toMatch(/rejected the token \(401\)/);
  });

  it('gives up after one retry when the fresh token is rejected as well (no loop)', async () => {
    let posts = 0;
    const alwaysBad = (async (_input: string | URL | Request, init?: RequestInit) => {
      if ((init?.method ?? 'GET') === 'POST') posts++;
      return Response.json({ access_token: 'bad', token_type: 'Bearer', expires_at: new Date(clock.now() + HOUR).toISOString(), remaining_minutes: 60 });
    }) as typeof fetch;
    const result = await runScoutTick(scout(alwaysBad).deps);
    expect(result.ok).toBe(false);
    expect(result.skipped).toMatch(/401/);
    expect(posts).toBe(1);
  });
});
