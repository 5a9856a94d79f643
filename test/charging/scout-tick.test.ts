import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SCOUT_CONFIG } from '../../src/charging/scout-machine.js';
import { runScoutTick } from '../../src/scout/tick.js';
import { bearerSecret, WorkerClient } from '../../src/scout/worker-client.js';
import { FleetClient } from '../../src/tesla/fleet.js';
import { buildWorkerApp } from '../../src/worker/app.js';
import { sharedSecretAuth } from '../../src/worker/auth.js';
import { injectFetch } from '../helpers/inject-fetch.js';
import { chargingHarness, HOME, WORK } from './harness.js';

const SECRET = 'scout-tick-test-secret-0123456789';
const MIN = 60_000;

describe('Scout tick with charging decisions (all vehicles of the account)', () => {
  let h: Awaited<ReturnType<typeof chargingHarness>>;
  let app: FastifyInstance;
  let deps: Parameters<typeof runScoutTick>[0];

  beforeEach(async () => {
    h = await chargingHarness({
      vehicles: [
        { battery_level: 40, latitude: HOME.lat, longitude: HOME.lon },
        { battery_level: 50, latitude: WORK.latitude, longitude: WORK.longitude },
        { battery_level: 60, latitude: HOME.lat, longitude: HOME.lon, asleep: true },
      ],
    });
    app = await buildWorkerApp({ broker: h.broker, account: 'default', auth: sharedSecretAuth(SECRET), storeKind: 'file', clock: h.clock, charging: h.charging });
    deps = {
      worker: new WorkerClient({ baseUrl: 'http://worker.test', auth: bearerSecret(SECRET), fetch: injectFetch(app) }),
      fleet: new FleetClient({ apiUrl: h.sim.base, fetch: h.sim.fetch, clock: h.clock }),
      store: h.store,
      account: 'default',
      clock: h.clock,
      log: h.log.logger,
      charging: { state: h.store, config: { ...DEFAULT_SCOUT_CONFIG, home: HOME } },
    };
  });
  afterEach(async () => {
    await app.close();
    await h.close();
  });

  it('reads only the online cars, triggers first sight for each, and never touches the asleep one', async () => {
    const r = await runScoutTick(deps);
    expect(r.ok).toBe(true);
    expect(r.decisions).toHaveLength(3);
    const [a, b, c] = r.decisions!;
    expect(a).toMatchObject({ read: true, trigger: 'first_sight', place: 'home_unplugged', workerOk: true });
    expect(b).toMatchObject({ read: true, trigger: 'first_sight', place: 'away', workerOk: true });
    expect(c).toMatchObject({ read: false, trigger: null, place: 'unknown' });
    const stats = await h.sim.stats();
    expect(stats.wakes).toBe(0);
    expect(stats.billing.data.count).toBe(4); // two Scout reads, two Worker reads; none of the asleep car
  });

  it('plugging in at home is delivered to the Worker at the next tick, and the plan is in the car', async () => {
    await runScoutTick(deps);
    h.clock.advance(5 * MIN);
    await h.car({ plugged_in: true });
    h.clock.advance(10 * MIN);
    const r = await runScoutTick(deps);
    expect(r.decisions![0]).toMatchObject({ trigger: 'plugged_in_home', workerOk: true });
    expect((await h.view()).charge_schedules.length).toBeGreaterThan(0);
    expect((await h.view()).charging_state).toBe('Stopped');
  });
});
