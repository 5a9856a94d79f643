import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VehicleState } from '../../src/charging/vehicle-state.js';
import { TariffSourceError } from '../../src/tariff/index.js';
import { buildWorkerApp } from '../../src/worker/app.js';
import { sharedSecretAuth } from '../../src/worker/auth.js';
import { chargingHarness, HOME, WORK } from './harness.js';

const SECRET = 'cycle-test-shared-secret-0123456789';
const AUTH = { authorization: `Bearer ${SECRET}` };
const HOUR = 3_600_000;

describe('Worker charging cycle: POST /run-cycle against the simulator', () => {
  let h: Awaited<ReturnType<typeof chargingHarness>>;
  let app: FastifyInstance;

  const start = async (options: Parameters<typeof chargingHarness>[0] = {}) => {
    h = await chargingHarness(options);
    app = await buildWorkerApp({ broker: h.broker, account: 'default', auth: sharedSecretAuth(SECRET), storeKind: 'file', clock: h.clock, charging: h.charging });
  };
  const runCycle = (body: object = { vin: h.vin, reason: 'plugged_in_home' }) => app.inject({ method: 'POST', url: '/run-cycle', headers: AUTH, payload: body });
  const state = async () => (await h.store.getState<VehicleState>(`vehicle:${h.vin}`))?.value;

  afterEach(async () => {
    await app?.close();
    await h?.close();
  });

  describe('a car plugged in at home at 18:00 (G12: cheap 22:00-06:00)', () => {
    beforeEach(async () => {
      await start();
      await h.car({ plugged_in: true });
    });

    it('writes the cheapest windows as one-time schedules with their end set, and the car stops charging at once', async () => {
      expect((await h.view()).charging_state).toBe('Charging'); // no schedule: the car charges on plug-in
      const res = await runCycle();
      expect(res.statusCode).toBe(200);
      const [r] = res.json().results;
      expect(r).toMatchObject({ outcome: 'applied', woke: false, source: 'tariff' });
      const car = await h.view();
      expect(car.charge_schedules.length).toBeGreaterThan(0);
      // Lesson: a schedule without its end charged to full — every schedule has end_enabled; all are one-time (dates kept).
      expect(car.charge_schedules.every((s) => s.end_enabled && s.one_time)).toBe(true);
      // Lesson: slots for tomorrow fired today — each schedule is for one named day (one bit of days_of_week):
      // tonight's window split at midnight (Monday bit 2 until 24:00, Tuesday bit 4 after), the holds on Tuesday
      // and Wednesday.
      const days = (await h.sim.admin<{ charge_schedules: Array<{ days_of_week: number; start_time: number }> }>('GET', `/sim/vehicles/${h.vin}`)).charge_schedules;
      expect(days.map((s) => s.days_of_week).sort()).toEqual([2, 4, 4, 8]);
      expect(car.charging_state).toBe('Stopped');
      // Lesson: the plan hash is committed after success: recorded now, with our ids.
      const st = await state();
      expect(st?.applied?.hash).toBe(r.plan.hash);
      expect(st?.ours.sort()).toEqual(car.charge_schedules.map((s) => s.id).sort());
      // The car charges tonight in the cheap hours and is at its limit in the morning.
      h.clock.advance(13 * HOUR); // 07:00 Warsaw
      const morning = await h.view();
      expect(morning.battery_level).toBeGreaterThanOrEqual(79);
    });

    it("lesson: preconditioning schedules are never touched — the owner's survives a cycle that applies a plan", async () => {
      const owners = { id: 4242, days_of_week: 'Weekdays', enabled: true, lat: HOME.lat, lon: HOME.lon, precondition_time: 450, one_time: false };
      await h.car({ preconditioning_schedules: [owners] });
      type Precond = { preconditioning_schedules: unknown[] };
      const before = (await h.sim.admin<Precond>('GET', `/sim/vehicles/${h.vin}`)).preconditioning_schedules;
      expect(before).toEqual([{ id: 4242, days_of_week: 62, enabled: true, latitude: HOME.lat, longitude: HOME.lon, precondition_time: 450, one_time: false }]);
      const res = await runCycle();
      expect(res.statusCode).toBe(200);
      expect(res.json().results[0]).toMatchObject({ outcome: 'applied' });
      expect((await h.view()).charge_schedules.length).toBeGreaterThan(0);
      expect((await h.sim.admin<Precond>('GET', `/sim/vehicles/${h.vin}`)).preconditioning_schedules).toEqual(before);
      // What the client reads in vehicle_data is the same list, and its id is never recorded as ours.
      const snapshot = await h.fleet.vehicleSnapshot(await h.deps.accessToken(), h.vin);
      expect(snapshot.preconditioningSchedules?.map((s) => s.id)).toEqual([4242]);
      expect((await state())?.ours).not.toContain(4242);
      // remove_charge_schedule cannot reach it either.
      await expect(h.fleet.removeChargeSchedule(await h.deps.accessToken(), h.vin, 4242)).resolves.toBe(false);
      expect((await h.sim.admin<Precond>('GET', `/sim/vehicles/${h.vin}`)).preconditioning_schedules).toEqual(before);
    });

    it('nothing is sent when nothing changed (and the car is not woken)', async () => {
      await runCycle();
      const before = await h.billing();
      const again = await runCycle({ vin: h.vin, reason: 'daily_replan' });
      expect(again.statusCode).toBe(200);
      expect(again.json().results[0]).toMatchObject({ outcome: 'unchanged', added: 0, removed: 0 });
      const after = await h.billing();
      expect(after.command.count).toBe(before.command.count);
      expect(after.wake.count).toBe(0);
    });

    it('lesson: an asleep car plugged in at home is not woken for a daily replan when its plan is unchanged', async () => {
      await runCycle();
      h.clock.advance(20 * 60_000);
      expect((await h.view()).state).not.toBe('online');
      const res = await runCycle({ vin: h.vin, reason: 'daily_replan' });
      expect(res.json().results[0]).toMatchObject({ outcome: 'unchanged', woke: false });
      expect((await h.sim.stats()).wakes).toBe(0);
    });

    it('lesson: two cycles at once do not double the schedules (per-car lock + reconcile by content)', async () => {
      const [a, b] = await Promise.all([runCycle(), runCycle()]);
      expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
      const outcomes = [a.json().results[0].outcome, b.json().results[0].outcome].sort();
      expect(outcomes).toEqual(['applied', 'unchanged']);
      const keys = (await h.view()).charge_schedules.map((s) => JSON.stringify({ ...s, id: 0 }));
      expect(new Set(keys).size).toBe(keys.length);
    });

    it('a cycle of another Worker process holding the lease → 409 cycle_busy, nothing sent', async () => {
      await h.store.acquireLease(`cycle:${h.vin}`, 'other-worker', 60_000);
      const res = await runCycle();
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ error: 'cycle_busy' });
      expect((await h.billing()).command.count).toBe(0);
    });

    it('lesson: the plan hash is stored only after the plan is applied — a failed apply answers 502 and is retried', async () => {
      await h.sim.admin('POST', '/sim/faults', { target: 'fleet', kind: 'error', status: 503, count: 1, path_prefix: `/api/1/vehicles/${h.vin}/command/add_charge_schedule` });
      const failed = await runCycle();
      expect(failed.statusCode).toBe(502);
      expect(failed.json()).toMatchObject({ error: 'cycle_failed' });
      expect((await state())?.applied).toBeNull();
      const retried = await runCycle();
      expect(retried.statusCode).toBe(200);
      expect(retried.json().results[0].outcome).toBe('applied');
      expect((await state())?.applied?.hash).toBe(retried.json().results[0].plan.hash);
    });

    it("never touches the owner's schedules nor schedules away from home", async () => {
      const owner = { days_of_week: 'All', enabled: true, start_enabled: true, start_time: 720, end_enabled: true, end_time: 780, lat: HOME.lat, lon: HOME.lon };
      const away = { ...owner, lat: WORK.latitude, lon: WORK.longitude };
      await h.car({ charge_schedules: [owner, away] });
      const ids = (await h.view()).charge_schedules.map((s) => s.id);
      await runCycle();
      h.clock.advance(60_000);
      await h.car({ battery_level: 79 }); // a different plan: our schedules change, theirs stay
      await runCycle();
      const now = (await h.view()).charge_schedules.map((s) => s.id);
      expect(now).toEqual(expect.arrayContaining(ids));
    });
  });

  it('lesson: with nothing to charge the car still holds a schedule that keeps it from charging at plug-in', async () => {
    await start({ vehicles: [{ battery_level: 80, charge_limit_soc: 80, latitude: HOME.lat, longitude: HOME.lon }] });
    await h.car({ plugged_in: true });
    const res = await runCycle();
    expect(res.json().results[0]).toMatchObject({ outcome: 'applied' });
    expect(res.json().results[0].plan.windows).toEqual([]);
    // The hold at the ready-by time, and a guard for the next day (so tomorrow's plug-in does not charge at once).
    expect((await h.view()).charge_schedules).toHaveLength(2);
    // Below the limit again later (a trip), plugged in: the held schedule keeps it from charging at once.
    await h.car({ plugged_in: false });
    await h.car({ battery_level: 60 });
    await h.car({ plugged_in: true });
    expect((await h.view()).charging_state).toBe('Stopped');
  });

  it('lesson: a tariff failure never means a full charge at peak — only up to the safe minimum, in the cheap window', async () => {
    const broken = { name: 'broken', currency: 'PLN', pricesBetween: async () => { throw new TariffSourceError('test', 'HTTP 500'); } };
    await start({ tariff: broken as never, vehicles: [{ battery_level: 20, charge_limit_soc: 100, latitude: HOME.lat, longitude: HOME.lon }] });
    await h.car({ plugged_in: true });
    const res = await runCycle();
    const r = res.json().results[0];
    expect(r).toMatchObject({ outcome: 'applied', source: 'fallback' });
    for (const w of r.plan.windows) {
      const hour = Number(new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hourCycle: 'h23', timeZone: 'Europe/Warsaw' }).format(new Date(w.start)));
      expect(hour >= 22 || hour < 6).toBe(true);
    }
    expect(r.plan.windows.reduce((s: number, w: { kwh: number }) => s + w.kwh, 0)).toBeCloseTo(0.3 * 75, 0);
    h.clock.advance(24 * HOUR);
    const car = await h.view();
    expect(car.battery_level).toBeLessThanOrEqual(51);
    expect(car.battery_level).toBeGreaterThanOrEqual(49);
  });

  it('a car away from home or not plugged in: recorded, nothing sent', async () => {
    await start({ vehicles: [{ battery_level: 40, latitude: WORK.latitude, longitude: WORK.longitude, plugged_in: true }] });
    const res = await runCycle();
    expect(res.statusCode).toBe(200);
    expect(res.json().results[0]).toMatchObject({ outcome: 'not_at_home' });
    expect((await h.billing()).command.count).toBe(0);
    expect((await state())?.place).toBe('away');
  });

  it('lesson: reads never wake — an asleep car not last seen plugged in at home is left asleep', async () => {
    await start({ vehicles: [{ battery_level: 40, latitude: HOME.lat, longitude: HOME.lon, asleep: true }] });
    const res = await runCycle({ vin: h.vin, reason: 'target_due' });
    expect(res.json().results[0]).toMatchObject({ outcome: 'asleep', woke: false });
    const billing = await h.billing();
    expect(billing.data.count + billing.wake.count).toBe(0);
  });

  it('one-off target "90 % by Saturday 07:00": POST /charge-targets, then the cycle raises the limit and plans for it', async () => {
    await start({ start: '2026-06-05T16:00:00Z' }); // Friday 18:00 Warsaw
    await h.car({ plugged_in: true });
    const bad = await app.inject({ method: 'POST', url: '/charge-targets', headers: AUTH, payload: { vin: h.vin, percent: 101, ready_by: '2026-06-06T07:00:00+02:00' } });
    expect(bad.statusCode).toBe(400);
    const res = await app.inject({ method: 'POST', url: '/charge-targets', headers: AUTH, payload: { vin: h.vin, percent: 90, ready_by: '2026-06-06T07:00:00+02:00' } });
    expect(res.statusCode).toBe(201);
    const r = (await runCycle()).json().results[0];
    expect(r).toMatchObject({ outcome: 'applied', plan: { targetPercent: 90, ready_by: '2026-06-06T05:00:00.000Z' } });
    expect((await h.view()).charge_limit_soc).toBe(90);
    h.clock.advance(13 * HOUR);
    expect((await h.view()).battery_level).toBeGreaterThanOrEqual(89);
    const list = await app.inject({ method: 'GET', url: `/charge-targets?vin=${h.vin}`, headers: AUTH });
    expect(list.json().targets).toEqual([]); // its time has passed: expired
  });

  it('all vehicles of the account when no vin is given; bad bodies are 400, no auth is 401', async () => {
    await start({ vehicles: [{ latitude: HOME.lat, longitude: HOME.lon }, { latitude: WORK.latitude, longitude: WORK.longitude }] });
    const res = await runCycle({ reason: 'manual' });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toHaveLength(2);
    expect((await runCycle({ vin: 'nope' })).statusCode).toBe(400);
    expect((await runCycle({ vin: h.vin, extra: 1 })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/run-cycle', payload: {} })).statusCode).toBe(401);
  });
});

describe('Worker charging cycle when the car answers without its schedules', () => {
  it('lesson: unknown is not empty — no schedule list in vehicle_data → 502, nothing added or removed', async () => {
    const h = await chargingHarness();
    try {
      await h.car({ plugged_in: true });
      // vehicle_data without charge_schedule_data, as after a partial read.
      const strip = (async (input: string, init?: RequestInit) => {
        const res = await h.sim.fetch(input, init);
        if (!String(input).includes('/vehicle_data')) return res;
        const body = (await res.json()) as { response: Record<string, unknown> };
        delete body.response.charge_schedule_data;
        return new Response(JSON.stringify(body), { status: res.status, headers: { 'content-type': 'application/json' } });
      }) as unknown as typeof fetch;
      const { FleetClient } = await import('../../src/tesla/fleet.js');
      const { ChargingService } = await import('../../src/charging/service.js');
      const service = new ChargingService({ ...h.deps, fleet: new FleetClient({ apiUrl: h.sim.base, fetch: strip, clock: h.clock }) });
      const app = await buildWorkerApp({ broker: h.broker, account: 'default', auth: sharedSecretAuth(SECRET), storeKind: 'file', clock: h.clock, charging: service });
      const res = await app.inject({ method: 'POST', url: '/run-cycle', headers: AUTH, payload: { vin: h.vin } });
      expect(res.statusCode).toBe(502);
      expect(res.json().results[0].message).toMatch(/could not be read/);
      expect((await h.billing()).command.count).toBe(0);
      await app.close();
    } finally {
      await h.close();
    }
  });
});

describe('the daily replan through HTTP (Cloud Scheduler sends {"reason":"daily-replan"})', () => {
  it('replans only cars last seen plugged in at home, without waking a car whose plan is unchanged', async () => {
    const h = await chargingHarness();
    const app = await buildWorkerApp({ broker: h.broker, account: 'default', auth: sharedSecretAuth(SECRET), storeKind: 'file', clock: h.clock, charging: h.charging });
    try {
      const none = await app.inject({ method: 'POST', url: '/run-cycle', headers: AUTH, payload: { reason: 'daily-replan' } });
      expect(none.statusCode).toBe(200);
      expect(none.json().results).toEqual([]); // never seen plugged in at home: nothing to replan, no Tesla call
      await h.car({ plugged_in: true });
      await app.inject({ method: 'POST', url: '/run-cycle', headers: AUTH, payload: { vin: h.vin, reason: 'plugged_in_home' } });
      h.clock.advance(30 * 60_000);
      const res = await app.inject({ method: 'POST', url: '/run-cycle', headers: AUTH, payload: { reason: 'daily-replan' } });
      expect(res.json().results).toMatchObject([{ outcome: 'unchanged', woke: false }]);
      expect((await h.sim.stats()).wakes).toBe(0);
    } finally {
      await app.close();
      await h.close();
    }
  });
});
