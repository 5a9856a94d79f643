/**
 * A whole installation in one process on a virtual clock: the simulator, an encrypted store, the token broker,
 * the Worker app (with the charging cycle) and a Scout, talking HTTP through inject(). A scenario's events are
 * applied at their home-time moments while a strategy (our Scout, or a bench baseline) ticks on its interval.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Temporal } from 'temporal-polyfill';
import { CHARGING_DEFAULTS, type ChargingConfig } from '../charging/config.js';
import type { CycleResult } from '../charging/cycle.js';
import { VehicleLocks } from '../charging/lock.js';
import { DEFAULT_SCOUT_CONFIG } from '../charging/scout-machine.js';
import { ChargingService } from '../charging/service.js';
import { importRefreshToken } from '../cli/tokens.js';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import type { ScoutDeps } from '../scout/tick.js';
import { bearerSecret, WorkerClient } from '../scout/worker-client.js';
import { buildSimulator, type Simulator } from '../sim/index.js';
import type { Tariff } from '../tariff/index.js';
import { FleetClient } from '../tesla/fleet.js';
import { TeslaOAuthClient } from '../tesla/oauth.js';
import { TokenBroker } from '../tokens/broker.js';
import { FileTokenStore } from '../tokens/file-store.js';
import { buildWorkerApp } from '../worker/app.js';
import { sharedSecretAuth } from '../worker/auth.js';
import { injectFetch } from './inject-fetch.js';
import { RunMetrics, type CarView } from './metrics.js';
import { HOME, type Scenario, type ScenarioAction } from './scenarios.js';

const SECRET = randomBytes(24).toString('base64url');
const MINUTE = 60_000;

export interface TimelineEntry {
  at: number;
  kind: 'event' | 'cycle' | 'charging' | 'calls';
  text: string;
}

/** Who looks at the car: our Scout (+ daily replan), or a bench baseline. */
export interface Strategy {
  name: string;
  intervalMin: number;
  tick(world: World, now: number): Promise<void>;
}

export class World {
  readonly timeline: TimelineEntry[] = [];
  readonly metrics: RunMetrics;
  private constructor(
    readonly scenario: Scenario,
    readonly clock: ManualClock,
    readonly sim: Simulator,
    readonly store: FileTokenStore,
    readonly broker: TokenBroker,
    readonly charging: ChargingService,
    readonly workerApp: FastifyInstance,
    readonly scout: ScoutDeps,
    readonly vin: string,
    readonly timeZone: string,
    readonly tariff: Tariff,
    private readonly dir: string,
  ) {
    this.metrics = new RunMetrics(tariff);
  }

  static async create(scenario: Scenario, tariff: Tariff, timeZone = 'Europe/Warsaw'): Promise<World> {
    const clock = new ManualClock(localInstant(scenario.startDate, 0, '00:00', timeZone));
    const sim = await buildSimulator({ clock, timeZone });
    const simFetch = injectFetch(sim.app);
    const created = await sim.app.inject({ method: 'POST', url: '/sim/accounts', payload: { vehicles: [{ ...scenario.car, latitude: HOME.lat, longitude: HOME.lon, display_name: 'Demo Model 3' }] } });
    const account = created.json() as { client_id: string; refresh_token: string; vehicles: Array<{ vin: string }> };
    const dir = await mkdtemp(join(tmpdir(), 'offpeak-demo-'));
    const store = new FileTokenStore({ path: join(dir, 'store.json'), key: randomBytes(32), clock });
    await importRefreshToken(store, 'default', account.refresh_token);
    const base = 'http://tesla.sim';
    const broker = new TokenBroker({ store, tesla: new TeslaOAuthClient({ authUrl: base, clientId: account.client_id, fetch: simFetch, clock }), clock });
    const home = { ...HOME, radiusM: 150 };
    const config: ChargingConfig = { ...CHARGING_DEFAULTS, home, timeZone, fallback: { ...CHARGING_DEFAULTS.fallback } };
    // Waiting for a woken car passes virtual time.
    const workerFleet = new FleetClient({ apiUrl: base, fetch: simFetch, clock, sleep: async (ms) => clock.advance(ms) });
    const charging = new ChargingService({
      fleet: workerFleet,
      accessToken: async () => (await broker.getAccessToken('default')).accessToken,
      store,
      locks: new VehicleLocks(store, 'demo-worker', 120_000),
      config,
      tariff,
      clock,
      log: silentLogger,
    });
    const workerApp = await buildWorkerApp({ broker, account: 'default', auth: sharedSecretAuth(SECRET), storeKind: 'file', clock, charging });
    const scout: ScoutDeps = {
      worker: new WorkerClient({ baseUrl: 'http://worker.local', auth: bearerSecret(SECRET), fetch: injectFetch(workerApp) }),
      fleet: new FleetClient({ apiUrl: base, fetch: simFetch, clock }),
      store,
      account: 'default',
      clock,
      log: silentLogger,
      charging: { state: store, config: { ...DEFAULT_SCOUT_CONFIG, home } },
    };
    const world = new World(scenario, clock, sim, store, broker, charging, workerApp, scout, account.vehicles[0]!.vin, timeZone, tariff, dir);
    world.observeCycles();
    return world;
  }

  /** Every cycle result goes into the timeline; a verified plan at home marks the session's plan-in-car time. */
  private observeCycles(): void {
    const run = this.charging.runCycle.bind(this.charging);
    this.charging.runCycle = async (vin, reason) => {
      const results = await run(vin, reason);
      for (const r of results) this.recordCycle(r);
      return results;
    };
    const replan = this.charging.dailyReplan.bind(this.charging);
    this.charging.dailyReplan = async () => {
      const results = await replan();
      for (const r of results) this.recordCycle(r);
      return results;
    };
  }

  private recordCycle(r: CycleResult): void {
    const now = this.clock.now();
    if ((r.outcome === 'applied' || r.outcome === 'unchanged') && r.plan) this.metrics.planInCar(now);
    const windows = r.plan?.windows.map((w) => `${this.hhmm(w.start)}-${this.hhmm(w.end)}`).join(', ');
    const plan = r.plan ? ` plan ${r.plan.targetPercent}% by ${this.when(r.plan.readyBy)}${r.source === 'fallback' ? ' (SAFE FALLBACK)' : ''}: ${windows || 'nothing to charge (hold schedule)'}` : '';
    const sent = r.outcome === 'applied' ? ` → ${r.added} schedule(s) written, ${r.removed} removed${r.woke ? ', car woken' : ''}` : '';
    this.log('cycle', `Worker cycle (${r.reason}): ${r.outcome}${plan}${sent}${r.outcome === 'applied' || r.outcome === 'unchanged' ? '' : ` — ${r.message}`}`);
  }

  log(kind: TimelineEntry['kind'], text: string): void {
    this.timeline.push({ at: this.clock.now(), kind, text });
  }

  async car(): Promise<CarView & Record<string, unknown>> {
    return (await this.sim.app.inject({ method: 'GET', url: `/sim/vehicles/${this.vin}` })).json();
  }

  async stats(): Promise<{ billing: Record<'data' | 'command' | 'wake' | 'free', { count: number; usd: number }> & { total_usd: number }; wakes: number; fleet: { by_endpoint: Record<string, number> } }> {
    return (await this.sim.app.inject({ method: 'GET', url: '/sim/stats' })).json();
  }

  private async patch(body: object): Promise<void> {
    const res = await this.sim.app.inject({ method: 'PATCH', url: `/sim/vehicles/${this.vin}`, payload: body });
    if (res.statusCode >= 300) throw new Error(`sim PATCH: ${res.statusCode} ${res.body}`);
  }

  private async apply(action: ScenarioAction): Promise<void> {
    const car = await this.car();
    const battery = Math.round(car.battery_level_exact);
    switch (action.do) {
      case 'plug':
        if (car.plugged_in) return;
        await this.patch({ plugged_in: true });
        this.metrics.plugged(this.clock.now());
        this.log('event', `plugged in at home (battery ${battery}%)`);
        return;
      case 'unplug':
        if (!car.plugged_in) return;
        await this.patch({ plugged_in: false });
        this.metrics.unplugged(this.clock.now());
        this.log('event', `unplugged (battery ${battery}%)`);
        return;
      case 'drive': {
        const level = Math.max(5, car.battery_level_exact - action.usePercent);
        await this.patch({ latitude: action.to.lat, longitude: action.to.lon, battery_level: level });
        this.log('event', `drove to ${action.label} (battery ${battery}% → ${Math.round(level)}%)`);
        return;
      }
      case 'target': {
        const readyBy = localInstant(this.scenario.startDate, action.readyBy.day, action.readyBy.at, this.timeZone);
        await this.charging.addTarget({ vin: this.vin, percent: action.percent, readyBy });
        this.log('event', `owner asks for ${action.percent}% by ${this.when(readyBy)} (offpeak target)`);
      }
    }
  }

  /** Runs the scenario to its end with one strategy; samples the car every `sampleMin` minutes. */
  async run(strategy: Strategy, sampleMin = 5): Promise<void> {
    const start = this.clock.now();
    const end = localInstant(this.scenario.startDate, this.scenario.days, '00:00', this.timeZone);
    const events = this.scenario.events
      .map((e) => ({ at: localInstant(this.scenario.startDate, e.day, e.at, this.timeZone), action: e.action }))
      .sort((a, b) => a.at - b.at);
    const step = sampleMin * MINUTE;
    const interval = strategy.intervalMin * MINUTE;
    let nextTick = start;
    let nextSample = start;
    let charging = false;
    let lastCalls = await this.stats();
    let day = startOfLocalDay(start, this.timeZone);
    for (let i = 0; this.clock.now() < end; ) {
      const now = this.clock.now();
      while (i < events.length && events[i]!.at <= now) await this.apply(events[i++]!.action);
      if (now >= nextTick) {
        await strategy.tick(this, now);
        nextTick += interval;
      }
      if (now >= nextSample) {
        const view = await this.car();
        await this.metrics.sample(now, view);
        const isCharging = view.charging_state === 'Charging';
        if (isCharging !== charging) this.log('charging', isCharging ? `charging started (battery ${Math.round(view.battery_level_exact)}%)` : `charging stopped (battery ${Math.round(view.battery_level_exact)}%)`);
        charging = isCharging;
        nextSample += step;
      }
      const nextDay = startOfLocalDay(day + 26 * 3_600_000, this.timeZone);
      const target = Math.min(nextTick, nextSample, events[i]?.at ?? Infinity, end, nextDay);
      if (target > this.clock.now()) this.clock.set(target);
      if (this.clock.now() >= nextDay) {
        // The day's Tesla calls, stamped just before midnight so they close that day in the timeline.
        const calls = await this.stats();
        const d = (k: 'data' | 'command' | 'wake') => calls.billing[k].count - lastCalls.billing[k].count;
        this.timeline.push({ at: nextDay - 1, kind: 'calls', text: `Tesla calls this day: ${d('data')} data, ${d('command')} command, ${d('wake')} wake ($${(calls.billing.total_usd - lastCalls.billing.total_usd).toFixed(3)})` });
        lastCalls = calls;
        day = nextDay;
      }
    }
  }

  hhmm(t: number): string {
    const z = Temporal.Instant.fromEpochMilliseconds(t).toZonedDateTimeISO(this.timeZone);
    return `${String(z.hour).padStart(2, '0')}:${String(z.minute).padStart(2, '0')}`;
  }

  when(t: number): string {
    const z = Temporal.Instant.fromEpochMilliseconds(t).toZonedDateTimeISO(this.timeZone);
    return `${z.toLocaleString('en-GB', { weekday: 'short' })} ${this.hhmm(t)}`;
  }

  async close(): Promise<void> {
    await this.workerApp.close();
    await this.store.close();
    await this.sim.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export function localInstant(date: string, dayOffset: number, hhmm: string, timeZone: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return Temporal.PlainDate.from(date).add({ days: dayOffset }).toZonedDateTime({ timeZone, plainTime: new Temporal.PlainTime(h, m) }).epochMilliseconds;
}

function startOfLocalDay(t: number, timeZone: string): number {
  return Temporal.Instant.fromEpochMilliseconds(t).toZonedDateTimeISO(timeZone).startOfDay().epochMilliseconds;
}
