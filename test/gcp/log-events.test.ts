import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importRefreshToken } from '../../src/cli/tokens.js';
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

/**
 * The original system's log messages, as structured events Cloud Logging can filter on
 * (`jsonPayload.event="reauth_required"`): every line JSON with severity and message, none with a token.
 */
const SECRET = 'log-events-shared-secret-0123456789';
const down = (async () => {
  throw new TypeError('fetch failed');
}) as unknown as typeof fetch;

describe('seed messages as structured events', () => {
  let sim: Awaited<ReturnType<typeof inProcessSim>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: FileTokenStore;
  let log: ReturnType<typeof captureLogger>;
  let refreshToken: string;
  let clientId: string;

  beforeEach(async () => {
    // No grace period: a refresh token spent once is dead, as when two components refreshed in the original.
    sim = await inProcessSim({ refreshGraceSec: 0 });
    dir = await tempDir();
    store = new FileTokenStore({ path: join(dir.path, 'store.json'), key: randomBytes(32) });
    const account = await sim.createAccount();
    refreshToken = account.refresh_token;
    clientId = account.client_id;
    await importRefreshToken(store, 'default', refreshToken);
    log = captureLogger('offpeak');
  });

  afterEach(async () => {
    await store.close();
    await sim.close();
    await dir.cleanup();
  });

  const events = () => log.lines().map((l) => JSON.parse(l) as Record<string, unknown>);

  async function tick(workerReachable: boolean) {
    const oauth = new TeslaOAuthClient({ authUrl: sim.base, clientId, fetch: sim.fetch });
    const broker = new TokenBroker({ store, tesla: oauth, logger: log.logger });
    const app = await buildWorkerApp({ broker, account: 'default', auth: sharedSecretAuth(SECRET), storeKind: store.kind, logger: log.logger });
    const worker = new WorkerClient({ baseUrl: 'http://worker.test', auth: bearerSecret(SECRET), fetch: workerReachable ? injectFetch(app) : down });
    const fleet = new FleetClient({ apiUrl: sim.base, fetch: sim.fetch });
    const result = await runScoutTick({ worker, fleet, store, account: 'default', clock: { now: () => Date.now() }, log: log.logger });
    await app.close();
    return result;
  }

  function expectClean(tokens: string[]) {
    for (const line of events()) {
      expect(line).toHaveProperty('severity');
      expect(typeof line.message).toBe('string');
    }
    for (const token of tokens) expect(log.text()).not.toContain(token);
  }

  it('token received from Worker, token shared, refresh done, fallback taken', async () => {
    expect((await tick(true)).ok).toBe(true);
    expect((await tick(false)).tokenSource).toBe('store');
    const byEvent = (name: string) => events().find((e) => e.event === name);
    expect(byEvent('refresh_done')).toMatchObject({ severity: 'INFO', account: 'default', validMinutes: expect.any(Number) });
    expect(byEvent('token_shared')).toMatchObject({ severity: 'INFO', caller: 'shared-secret', remainingMinutes: expect.any(Number) });
    expect(byEvent('token_from_worker')).toMatchObject({ severity: 'INFO', validMinutes: expect.any(Number) });
    expect(byEvent('fallback_taken')).toMatchObject({ severity: 'WARNING', fallback: 'store' });
    const record = await store.get('default');
    expectClean([refreshToken, record!.tokens.accessToken!, record!.tokens.refreshToken!, SECRET]);
  });

  it('reauth required', async () => {
    // Another component spends the refresh token first: Tesla then answers login_required.
    await new TeslaOAuthClient({ authUrl: sim.base, clientId, fetch: sim.fetch }).refresh(refreshToken);
    expect((await tick(true)).ok).toBe(false);
    expect(events().find((e) => e.event === 'reauth_required')).toMatchObject({ severity: 'ERROR', account: 'default', message: expect.stringMatching(/^REAUTH REQUIRED/) });
    expect(events().find((e) => e.event === 'tick_skipped')).toMatchObject({ severity: 'ERROR' });
    expectClean([refreshToken, SECRET]);
  });
});
