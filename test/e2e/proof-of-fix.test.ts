import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importRefreshToken } from '../../src/cli/tokens.js';
import { ManualClock } from '../../src/core/clock.js';
import { runScoutTick } from '../../src/scout/tick.js';
import { bearerSecret, WorkerClient } from '../../src/scout/worker-client.js';
import { FleetClient } from '../../src/tesla/fleet.js';
import { TeslaOAuthClient } from '../../src/tesla/oauth.js';
import { TokenBroker } from '../../src/tokens/broker.js';
import { ReauthRequiredError } from '../../src/tokens/errors.js';
import { FileTokenStore } from '../../src/tokens/file-store.js';
import { buildWorkerApp } from '../../src/worker/app.js';
import { sharedSecretAuth } from '../../src/worker/auth.js';
import { injectFetch } from '../helpers/inject-fetch.js';
import { inProcessSim } from '../helpers/sim.js';
import { tempDir } from '../helpers/temp.js';

const TICK = 15 * 60_000;
const SECRET = 'proof-of-fix-secret-0123456789';

/**
 * The user's production failure, reproduced, and the fix shown under the same load. Tesla's rules are the
 * simulator's defaults: 8-hour access tokens, single-use refresh tokens, 24-hour grace of the last used one.
 */
describe('proof of the fix', () => {
  let clock: ManualClock;
  let sim: Awaited<ReturnType<typeof inProcessSim>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let account: Awaited<ReturnType<Awaited<ReturnType<typeof inProcessSim>>['createAccount']>>;
  const stores: FileTokenStore[] = [];

  const storeAt = (name: string) => {
    const store = new FileTokenStore({ path: join(dir.path, `${name}.json`), key: randomBytes(32), clock });
    stores.push(store);
    return store;
  };
  const brokerOn = (store: FileTokenStore) =>
    new TokenBroker({ store, clock, tesla: new TeslaOAuthClient({ authUrl: sim.base, clientId: account.client_id, fetch: sim.fetch, clock }) });

  beforeEach(async () => {
    clock = new ManualClock(Date.parse('2026-01-10T00:00:00Z'));
    sim = await inProcessSim({ clock });
    dir = await tempDir();
    account = await sim.createAccount();
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await sim.close();
    await dir.cleanup();
  });

  it('before: Scout and Worker each refreshing their own copy of the tokens end with login_required', async () => {
    // Both components were set up with the same refresh token, each in its own storage.
    const workerStore = storeAt('worker');
    const scoutStore = storeAt('scout');
    await importRefreshToken(workerStore, 'default', account.refresh_token);
    await importRefreshToken(scoutStore, 'default', account.refresh_token);
    const worker = brokerOn(workerStore);
    const scout = brokerOn(scoutStore);

    let failure: unknown = null;
    for (let tick = 0; tick < 4 * 24 * 3 && !failure; tick++) {
      clock.advance(TICK);
      for (const component of [scout, worker]) {
        try {
          await component.getAccessToken('default');
        } catch (error) {
          failure = error;
          break;
        }
      }
    }
    expect(failure).toBeInstanceOf(ReauthRequiredError);
    expect((await sim.stats()).oauth.login_required).toBeGreaterThanOrEqual(1);
  });

  it('after: the Worker owns the tokens and the Scout asks it; ten days (30 token lifetimes) end with no login_required', async () => {
    const store = storeAt('shared');
    await importRefreshToken(store, 'default', account.refresh_token);
    const broker = brokerOn(store);
    const app = await buildWorkerApp({ broker, account: 'default', auth: sharedSecretAuth(SECRET), storeKind: 'file', clock });
    const deps = {
      worker: new WorkerClient({ baseUrl: 'http://worker.test', auth: bearerSecret(SECRET), fetch: injectFetch(app) }),
      fleet: new FleetClient({ apiUrl: sim.base, fetch: sim.fetch, clock }),
      store,
      account: 'default',
      clock,
      log: (await import('../../src/core/log.js')).silentLogger,
    };
    let ok = 0;
    for (let tick = 0; tick < 4 * 24 * 10; tick++) {
      clock.advance(TICK);
      await broker.keepFresh(['default']); // the Worker's own timer
      const result = await runScoutTick(deps);
      if (result.ok && result.tokenSource === 'worker') ok++;
    }
    await app.close();
    const stats = await sim.stats();
    expect(stats.oauth.login_required).toBe(0);
    expect(ok).toBe(4 * 24 * 10);
    // Refreshes happen at 75 % of the 8-hour life: about 4 a day, not one per tick.
    expect(stats.oauth.refresh_ok).toBeGreaterThanOrEqual(30);
    expect(stats.oauth.refresh_ok).toBeLessThanOrEqual(45);
  });
});
