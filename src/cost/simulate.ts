import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { importRefreshToken } from '../cli/tokens.js';
import { createBroker } from '../compose.js';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { runScoutTick } from '../scout/tick.js';
import { bearerSecret, WorkerClient } from '../scout/worker-client.js';
import { buildSimulator } from '../sim/index.js';
import { emptyCounters, type BillingCounters } from '../tesla/billing.js';
import { FleetClient } from '../tesla/fleet.js';
import { FirestoreTokenStore } from '../tokens/firestore-store.js';
import { buildWorkerApp } from '../worker/app.js';
import { sharedSecretAuth } from '../worker/auth.js';
import { MeteredFirestore, type FirestoreOps } from './metered-firestore.js';

/**
 * A month of the real system, simulated: the Scout tick (runScoutTick, through the Worker's real HTTP app and
 * the real TokenBroker on a FirestoreTokenStore) every 15 minutes, the daily replan call of Cloud Scheduler,
 * token refreshes whenever the broker finds them due, all on a ManualClock against the in-process Tesla
 * simulator (8 h access tokens, as Tesla). Nothing is estimated here; everything is counted where it is billed:
 *
 * - Tesla calls at the simulator's meter (GET /sim/stats), per category. Whatever the charging cycle adds
 *   (vehicle_data, wake_up, schedule commands) is counted the same way as soon as the Scout or the Worker
 *   makes those calls: nothing in this file needs to change for it.
 * - Worker requests at the Worker's HTTP surface (a counting fetch in front of its inject()).
 * - Firestore document reads/writes/deletes at the store's Firestore calls (MeteredFirestore).
 * - Scout invocations: one per tick (the Cloud Scheduler job calls the function once per tick).
 *
 * Deterministic: the clock starts at a fixed instant and only moves by whole ticks; the simulated household
 * plugs its cars in at 18:00 and unplugs them at 07:00 (UTC+1) every day.
 */

export interface MonthOptions {
  /** Cars on the (one) Tesla account. */
  cars: number;
  days?: number;
  ticksPerDay?: number;
  /** Start of the simulated month (epoch ms); default 2026-01-05T00:00:00+01:00 (a Monday). */
  start?: number;
  /** Add the daily replan call of Cloud Scheduler (POST /run-cycle). */
  dailyReplan?: boolean;
}

export interface SimulatedMonth {
  days: number;
  cars: number;
  ticksPerDay: number;
  scout: { invocations: number; ok: number; skipped: number; bySource: Record<string, number> };
  worker: { requests: number; byRoute: Record<string, number>; byStatus: Record<string, number> };
  firestore: { total: FirestoreOps; maxDay: FirestoreOps; byDay: FirestoreOps[] };
  tesla: {
    tokenRequests: number;
    refreshes: number;
    loginRequired: number;
    billed: BillingCounters;
    byEndpoint: Record<string, number>;
    wakes: number;
  };
  /** Scheduler jobs the deployment creates (deploy/gcp/deploy.sh: Scout every 15 min, daily replan). */
  schedulerJobs: number;
}

const DAY_MS = 86_400_000;
const SECRET = 'cost-simulation-shared-secret-0123456789';
const SIM_BASE = 'http://sim.offpeak.invalid';
const WORKER_BASE = 'http://worker.offpeak.invalid';

/** A fetch answered by a Fastify app through inject(): no port, no real time, same HTTP semantics. */
function appFetch(app: FastifyInstance, onRequest?: (method: string, path: string, status: number) => void): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => (headers[key] = value));
    const method = (init?.method ?? 'GET').toUpperCase();
    const res = await app.inject({
      method: method as 'GET',
      url: url.pathname + url.search,
      headers,
      ...(init?.body !== undefined && init.body !== null && { payload: init.body as string }),
    });
    onRequest?.(method, url.pathname, res.statusCode);
    const out = new Headers();
    for (const [key, value] of Object.entries(res.headers)) {
      if (value !== undefined) out.set(key, Array.isArray(value) ? value.join(', ') : String(value));
    }
    const empty = res.statusCode === 204 || res.statusCode === 304 || res.rawPayload.length === 0;
    return new Response(empty ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers: out });
  }) as typeof fetch;
}

const bump = (map: Record<string, number>, key: string) => void (map[key] = (map[key] ?? 0) + 1);

export async function simulateMonth(options: MonthOptions): Promise<SimulatedMonth> {
  const days = options.days ?? 30;
  const ticksPerDay = options.ticksPerDay ?? 96;
  const start = options.start ?? Date.parse('2026-01-05T00:00:00+01:00');
  if (!Number.isInteger(options.cars) || options.cars < 1 || options.cars > 100) throw new RangeError('cars must be an integer from 1 to 100');
  const tickMs = DAY_MS / ticksPerDay;
  const clock = new ManualClock(start);

  const sim = await buildSimulator({ clock });
  const simFetch = appFetch(sim.app);
  const admin = async <T>(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object): Promise<T> => {
    const res = await sim.app.inject({ method, url, ...(payload && { payload }) });
    if (res.statusCode >= 300) throw new Error(`simulator ${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json() as T;
  };
  const account = await admin<{ account_id: string; client_id: string; refresh_token: string; vehicles: Array<{ vin: string }> }>(
    'POST',
    '/sim/accounts',
    { vehicles: options.cars },
  );

  const firestore = new MeteredFirestore(() => Math.floor((clock.now() - start) / DAY_MS));
  const key = randomBytes(32);
  const workerStore = new FirestoreTokenStore({ firestore, collection: 'offpeak', key, clock });
  // The Scout's read-only fallback opens the same database with its own client, as on Google Cloud.
  const scoutStore = new FirestoreTokenStore({ firestore, collection: 'offpeak', key, clock });
  await importRefreshToken(workerStore, 'default', account.refresh_token);

  const broker = createBroker({
    store: workerStore,
    tesla: { authUrl: SIM_BASE, apiUrl: SIM_BASE, clientId: account.client_id },
    logger: silentLogger,
    clock,
    fetch: simFetch,
  });
  const workerApp = await buildWorkerApp({
    broker,
    account: 'default',
    auth: sharedSecretAuth(SECRET),
    storeKind: workerStore.kind,
    clock,
  });
  const worker: SimulatedMonth['worker'] = { requests: 0, byRoute: {}, byStatus: {} };
  const workerFetch = appFetch(workerApp, (method, path, status) => {
    worker.requests++;
    bump(worker.byRoute, `${method} ${path}`);
    bump(worker.byStatus, String(status));
  });
  const workerClient = new WorkerClient({ baseUrl: WORKER_BASE, auth: bearerSecret(SECRET), fetch: workerFetch });
  const fleet = new FleetClient({ apiUrl: SIM_BASE, fetch: simFetch });

  // The month is counted from here: setup (account, first import) is not part of a steady month.
  await admin('POST', '/sim/stats/reset');
  firestore.reset();

  const scout: SimulatedMonth['scout'] = { invocations: 0, ok: 0, skipped: 0, bySource: {} };
  const plugHourUtc = 17; // 18:00 UTC+1
  const unplugHourUtc = 6; // 07:00 UTC+1
  const replanHourUtc = 12; // 13:00 UTC+1, after the day-ahead prices are published
  try {
    for (let day = 0; day < days; day++) {
      for (let tick = 0; tick < ticksPerDay; tick++) {
        clock.set(start + day * DAY_MS + tick * tickMs);
        const minuteOfDayUtc = Math.round(((clock.now() / 60_000) % 1440) + 1440) % 1440;
        if (minuteOfDayUtc === plugHourUtc * 60 || minuteOfDayUtc === unplugHourUtc * 60) {
          for (const { vin } of account.vehicles) {
            await admin('PATCH', `/sim/vehicles/${vin}`, { plugged_in: minuteOfDayUtc === plugHourUtc * 60 });
          }
        }
        if ((options.dailyReplan ?? true) && minuteOfDayUtc === replanHourUtc * 60) {
          // Cloud Scheduler's daily replan job (deploy/gcp/deploy.sh) calls the Worker directly.
          await workerClient.call('POST', '/run-cycle', { reason: 'daily-replan' }).catch(() => undefined);
        }
        scout.invocations++;
        const result = await runScoutTick({ worker: workerClient, fleet, store: scoutStore, account: 'default', clock, log: silentLogger });
        if (result.ok) scout.ok++;
        else scout.skipped++;
        bump(scout.bySource, result.tokenSource ?? 'none');
      }
    }
    const stats = await admin<{
      oauth: { requests: number; refresh_ok: number; login_required: number };
      fleet: { by_endpoint: Record<string, number> };
      billing: Record<'data' | 'command' | 'wake' | 'free', { count: number }>;
      wakes: number;
    }>('GET', `/sim/stats?account=${account.account_id}`);
    const billed = emptyCounters();
    for (const category of ['data', 'command', 'wake', 'free'] as const) billed[category] = stats.billing[category].count;
    const maxDay = firestore.byDay.reduce(
      (max, d) => ({ reads: Math.max(max.reads, d.reads), writes: Math.max(max.writes, d.writes), deletes: Math.max(max.deletes, d.deletes) }),
      { reads: 0, writes: 0, deletes: 0 },
    );
    return {
      days,
      cars: options.cars,
      ticksPerDay,
      scout,
      worker,
      firestore: { total: { ...firestore.total }, maxDay, byDay: firestore.byDay.map((d) => ({ ...d })) },
      tesla: {
        tokenRequests: stats.oauth.requests,
        refreshes: stats.oauth.refresh_ok,
        loginRequired: stats.oauth.login_required,
        billed,
        byEndpoint: stats.fleet.by_endpoint,
        wakes: stats.wakes,
      },
      schedulerJobs: options.dailyReplan ?? true ? 2 : 1,
    };
  } finally {
    await workerApp.close();
    await workerStore.close().catch(() => undefined);
    await scoutStore.close().catch(() => undefined);
    await sim.close();
  }
}

/** The counters the bill needs, from a simulated month. */
export function monthCounters(month: SimulatedMonth): import('./bill.js').MonthCounters {
  return {
    days: month.days,
    scoutInvocations: month.scout.invocations,
    workerRequests: month.worker.requests,
    schedulerJobs: month.schedulerJobs,
    firestoreByDay: month.firestore.byDay,
    tesla: month.tesla.billed,
  };
}
