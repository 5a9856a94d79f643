import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { ConfigError, TESLA_DEFAULTS, type Env } from '../config.js';
import { FleetClient } from '../tesla/fleet.js';
import type { Fetch } from '../tesla/http.js';
import type { TokenStore } from '../tokens/store.js';
import { DEFAULT_SCOUT_CONFIG } from '../charging/scout-machine.js';
import type { ScoutChargingDeps } from './decide-tick.js';
import { runScoutTick, type ScoutTickResult } from './tick.js';
import { bearerSecret, WorkerClient, type AuthHeader } from './worker-client.js';

/** Test seams; in production everything comes from the environment. */
export interface ScoutOverrides {
  authHeader?: AuthHeader;
  workerFetch?: Fetch;
  fleetFetch?: Fetch;
  clock?: Clock;
}

export interface Scout {
  tick(): Promise<ScoutTickResult>;
  close(): Promise<void>;
}

/**
 * The Scout as configured by the environment, shared by `offpeak scout` and the Cloud Function so both
 * authenticate, fall back and observe the same way. Configuration errors are thrown here, before any call.
 */
export function scoutFromEnv(env: Env, log: Logger, overrides: ScoutOverrides = {}): Scout {
  if (!env.WORKER_SERVICE_URL) throw new ConfigError('WORKER_SERVICE_URL is not set: the Scout takes its Tesla token from the Worker at that URL');
  const worker = new WorkerClient({
    baseUrl: env.WORKER_SERVICE_URL,
    auth: overrides.authHeader ?? scoutAuthHeader(env),
    ...(overrides.workerFetch && { fetch: overrides.workerFetch }),
  });
  const store = lazyFallbackStore(env, log);
  const clock = overrides.clock ?? systemClock;
  const fleet = new FleetClient({
    apiUrl: env.TESLA_API_URL ?? TESLA_DEFAULTS.apiUrl,
    ...(overrides.fleetFetch && { fetch: overrides.fleetFetch }),
    ...(overrides.clock && { clock }),
  });
  const charging = scoutCharging(env, store);
  return {
    tick: () => runScoutTick({ worker, fleet, store, account: env.OFFPEAK_ACCOUNT, clock, log, ...(charging && { charging }) }),
    close: () => store.close(),
  };
}

/**
 * With a home configured, the Scout makes the charging decisions: it records what it saw per vehicle in the
 * shared store (the Worker reads the same records) and calls /run-cycle on the edges. Without one it only
 * observes.
 */
function scoutCharging(env: Env, store: LazyStore): ScoutChargingDeps | null {
  if (env.HOME_LATITUDE === undefined || env.HOME_LONGITUDE === undefined) return null;
  return {
    state: store,
    config: { ...DEFAULT_SCOUT_CONFIG, home: { lat: env.HOME_LATITUDE, lon: env.HOME_LONGITUDE, radiusM: env.HOME_RADIUS_M } },
  };
}

/** The Scout proves who it is with the same mode the Worker checks: a shared secret, or a Google ID token. */
export function scoutAuthHeader(env: Env): AuthHeader {
  if (env.WORKER_AUTH_MODE === 'google') {
    const audience = env.WORKER_SERVICE_URL;
    if (!audience) throw new ConfigError('WORKER_AUTH_MODE=google needs WORKER_SERVICE_URL: it is the audience of the ID token');
    // Imported on first use: google-auth-library is only needed on Google Cloud. The audience is the Worker
    // URL exactly as configured, which must be one of the Worker's WORKER_AUDIENCES.
    return async () => `Bearer ${await (await import('../auth/google-id-token.js')).mintIdTokenForWorker(audience)}`;
  }
  if (!env.WORKER_SHARED_SECRET) throw new ConfigError('WORKER_SHARED_SECRET is not set: the Scout authenticates to the Worker with it (or set WORKER_AUTH_MODE=google on Google Cloud)');
  return bearerSecret(env.WORKER_SHARED_SECRET);
}

/**
 * The store is only the Scout's fallback: it is opened (and its code loaded) the first time it is read, so a
 * normal tick that gets its token from the Worker starts fast and never touches the store.
 */
type LazyStore = Pick<TokenStore, 'get' | 'getState' | 'putState' | 'close'>;

function lazyFallbackStore(env: Env, log: Logger): LazyStore {
  let opened: Promise<TokenStore | null> | undefined;
  const open = async () => {
    const store = await (opened ??= import('../compose.js').then(({ openFallbackStore }) => openFallbackStore(env, log)));
    if (!store) throw new Error('no token store configured for this Scout (TOKEN_STORE) and no local default store');
    return store;
  };
  return {
    get: async (account) => (await open()).get(account),
    getState: async (key) => (await open()).getState(key),
    putState: async (key, value, expectedVersion) => (await open()).putState(key, value, expectedVersion),
    async close() {
      if (opened) await (await opened.catch(() => null))?.close();
    },
  };
}
