import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { importRefreshToken } from '../../src/cli/tokens.js';
import { CHARGING_DEFAULTS, type ChargingConfig } from '../../src/charging/config.js';
import { VehicleLocks } from '../../src/charging/lock.js';
import { ChargingService } from '../../src/charging/service.js';
import { ManualClock } from '../../src/core/clock.js';
import { presetTariff, type Tariff } from '../../src/tariff/index.js';
import { FleetClient } from '../../src/tesla/fleet.js';
import { TeslaOAuthClient } from '../../src/tesla/oauth.js';
import { TokenBroker } from '../../src/tokens/broker.js';
import { FileTokenStore } from '../../src/tokens/file-store.js';
import { captureLogger } from '../helpers/log-capture.js';
import { inProcessSim } from '../helpers/sim.js';
import { tempDir } from '../helpers/temp.js';

export const HOME = { lat: 52.2297, lon: 21.0122, radiusM: 150 };
export const WORK = { latitude: 52.4064, longitude: 21.3 };

/** The simulator, a real token broker and store, and the charging service, all on one virtual clock. */
export async function chargingHarness(options: { start?: string; tariff?: Tariff | null; vehicles?: object[] } = {}) {
  const clock = new ManualClock(Date.parse(options.start ?? '2026-06-01T16:00:00Z'));
  const sim = await inProcessSim({ clock });
  const dir = await tempDir('offpeak-charging-');
  const store = new FileTokenStore({ path: join(dir.path, 'store.json'), key: randomBytes(32), clock });
  const account = await sim.createAccount({ vehicles: options.vehicles ?? [{ battery_level: 40, latitude: HOME.lat, longitude: HOME.lon }] });
  await importRefreshToken(store, 'default', account.refresh_token);
  const broker = new TokenBroker({ store, tesla: new TeslaOAuthClient({ authUrl: sim.base, clientId: account.client_id, fetch: sim.fetch, clock }), clock });
  const fleet = new FleetClient({ apiUrl: sim.base, fetch: sim.fetch, clock, sleep: async (ms) => clock.advance(ms) });
  const log = captureLogger('worker');
  const config: ChargingConfig = { ...CHARGING_DEFAULTS, home: HOME, timeZone: 'Europe/Warsaw', fallback: { ...CHARGING_DEFAULTS.fallback } };
  const tariff = options.tariff === undefined ? presetTariff('g12') : options.tariff;
  const deps = {
    fleet,
    accessToken: async () => (await broker.getAccessToken('default')).accessToken,
    store,
    locks: new VehicleLocks(store, 'test-worker', 120_000),
    config,
    tariff,
    clock,
    log: log.logger,
  };
  const charging = new ChargingService(deps);
  const vin = account.vehicles[0]!.vin;
  const car = (patch: object) => sim.admin<Record<string, unknown>>('PATCH', `/sim/vehicles/${vin}`, patch);
  const view = () => sim.admin<{ charge_schedules: Array<{ id: number; start_time: number; end_time: number; one_time: boolean; end_enabled: boolean }>; charging_state: string; battery_level: number; state: string; charge_limit_soc: number }>('GET', `/sim/vehicles/${vin}`);
  return {
    clock, sim, store, broker, fleet, log, config, charging, deps, vin, account, car, view,
    billing: async () => (await sim.stats()).billing,
    async close() {
      await store.close();
      await sim.close();
      await dir.cleanup();
    },
  };
}
