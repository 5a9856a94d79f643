import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { buildSimulator } from '../../src/sim/index.js';
import { createAccount, fleet, harness, patchVehicle, refresh, sha256, stats, tokenRequest, vehicleAdmin, withToken, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.sim.close();
  h = undefined;
});

describe('admin API', () => {
  it('health', async () => {
    h = await harness();
    const res = await h.sim.app.inject({ method: 'GET', url: '/sim/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
  });

  it('creates an account with defaults: one car at home, battery 50, unplugged, online', async () => {
    h = await harness();
    const res = await h.sim.app.inject({ method: 'POST', url: '/sim/accounts' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ account_id: expect.any(String), client_id: expect.any(String), refresh_token: expect.stringMatching(/^EU_/) });
    expect(body.vehicles).toHaveLength(1);
    const vin: string = body.vehicles[0].vin;
    expect(vin).toHaveLength(17);
    expect(vin.startsWith('5YJ3SIM')).toBe(true);
    expect(await vehicleAdmin(h.sim, vin)).toMatchObject({
      latitude: 52.2297, longitude: 21.0122, battery_level: 50, plugged_in: false, state: 'online', charging_state: 'Disconnected',
    });
  });

  it('creates cars from a list, with chosen VINs, and refuses duplicates', async () => {
    h = await harness();
    const acct = await createAccount(h.sim, {
      client_id: 'my-app',
      vehicles: [{ vin: '5YJ3SIM0000000001', display_name: 'Red', battery_level: 33, latitude: 50, longitude: 20, asleep: true }, {}],
    });
    expect(acct.client_id).toBe('my-app');
    expect(acct.vehicles.map((v) => v.vin)[0]).toBe('5YJ3SIM0000000001');
    expect(await vehicleAdmin(h.sim, '5YJ3SIM0000000001')).toMatchObject({ display_name: 'Red', battery_level: 33, latitude: 50, state: 'asleep' });
    const dup = await h.sim.app.inject({ method: 'POST', url: '/sim/accounts', payload: { vehicles: [{ vin: '5YJ3SIM0000000001' }] } });
    expect(dup.statusCode).toBe(409);
    const none = await createAccount(h.sim, { vehicles: 0 });
    expect(none.vehicles).toEqual([]);
    const added = await h.sim.app.inject({ method: 'POST', url: `/sim/accounts/${none.account_id}/vehicles`, payload: { battery_level: 90 } });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ battery_level: 90, account_id: none.account_id });
  });

  it('rejects bad bodies with a clear {error, message}', async () => {
    h = await harness();
    const acct = await createAccount(h.sim);
    const vin = acct.vehicles[0]!.vin;
    const cases: [string, string, unknown, number, RegExp][] = [
      ['POST', '/sim/accounts', { vehicles: -1 }, 400, /vehicles must be >= 0/],
      ['POST', '/sim/accounts', { vehicles: 'two' }, 400, /vehicles must be integer or array/],
      ['POST', '/sim/accounts', { vehicles: [{ battery: 50 }] }, 400, /unknown field "battery"/],
      ['POST', '/sim/accounts', { vehicles: [{ vin: 'short' }] }, 400, /vin must match/],
      ['POST', '/sim/accounts', { region: 'EUROPE' }, 400, /region must be one of "EU", "NA", "CN"/],
      ['POST', '/sim/accounts', { vehicles: [{ plugged_in: true, asleep: true }] }, 409, /cannot be asleep/],
      ['PATCH', `/sim/vehicles/${vin}`, { battery_level: 101 }, 400, /battery_level must be <= 100/],
      ['PATCH', `/sim/vehicles/${vin}`, { plugged_in: 'yes' }, 400, /plugged_in must be boolean/],
      ['PATCH', `/sim/vehicles/${vin}`, { latitude: 91 }, 400, /latitude must be <= 90/],
      ['PATCH', `/sim/vehicles/${vin}`, {}, 400, /fewer than 1 properties/],
      ['PATCH', `/sim/vehicles/${vin}`, { charge_limit_soc: 40 }, 400, /charge_limit_soc must be >= 50/],
      ['PATCH', `/sim/vehicles/${vin}`, { charge_schedules: [{ days_of_week: 'All' }] }, 400, /start_enabled or end_enabled/],
      ['PATCH', '/sim/vehicles/5YJ3SIM0000000000', { asleep: true }, 404, /vehicle 5YJ3SIM0000000000 not found/],
      ['GET', '/sim/accounts/acct_nope', undefined, 404, /account acct_nope not found/],
      ['POST', '/sim/accounts/acct_nope/login', undefined, 404, /not found/],
    ];
    for (const [method, url, payload, status, message] of cases) {
      const res = await h.sim.app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }) });
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(payload)}`).toBe(status);
      const body = res.json();
      expect(body.error).toEqual(expect.any(String));
      expect(body.message).toMatch(message);
    }
    const malformed = await h.sim.app.inject({ method: 'PATCH', url: `/sim/vehicles/${vin}`, headers: { 'content-type': 'application/json' }, payload: '{"asleep":' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toEqual(expect.any(String));
  });

  it('a rejected patch changes nothing', async () => {
    h = await harness();
    const acct = await createAccount(h.sim, { vehicles: [{ battery_level: 30 }] });
    const vin = acct.vehicles[0]!.vin;
    const res = await patchVehicle(h.sim, vin, { battery_level: 60, plugged_in: true, asleep: true });
    expect(res.statusCode).toBe(409);
    expect(await vehicleAdmin(h.sim, vin)).toMatchObject({ battery_level: 30, plugged_in: false, state: 'online' });
  });

  it('patches cars: drive away and back, battery, limit, sleep', async () => {
    h = await harness();
    const { vin, pair } = await withToken(h.sim);
    let v = (await patchVehicle(h.sim, vin, { latitude: 50.0647, longitude: 19.945, battery_level: 42, charge_limit_soc: 90 })).json();
    expect(v).toMatchObject({ latitude: 50.0647, longitude: 19.945, battery_level: 42, charge_limit_soc: 90 });
    v = (await patchVehicle(h.sim, vin, { asleep: true })).json();
    expect(v.state).toBe('asleep');
    expect((await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data`, pair.access_token)).statusCode).toBe(408);
    v = (await patchVehicle(h.sim, vin, { asleep: false })).json();
    expect(v.state).toBe('online');
    const data = (await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data?endpoints=location_data;charge_state`, pair.access_token)).json();
    expect(data.response.drive_state).toMatchObject({ latitude: 50.0647, longitude: 19.945 });
    expect(data.response.charge_state).toMatchObject({ battery_level: 42, charge_limit_soc: 90 });
  });

  it('owner schedules can be set through the admin API', async () => {
    h = await harness();
    const { vin } = await withToken(h.sim);
    const res = await patchVehicle(h.sim, vin, {
      charge_schedules: [{ days_of_week: 'Saturday', start_enabled: true, start_time: 600, end_enabled: true, end_time: 720, lat: 50, lon: 19.9 }],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().charge_schedules).toEqual([expect.objectContaining({ days_of_week: 64, start_time: 600, latitude: 50, longitude: 19.9 })]);
  });

  it('account reads show sha256 of the valid refresh tokens, never the tokens', async () => {
    h = await harness({ refreshGraceSec: 3600 });
    const acct = await createAccount(h.sim);
    let view = (await h.sim.app.inject({ method: 'GET', url: `/sim/accounts/${acct.account_id}` })).json();
    expect(view.refresh).toMatchObject({ latest_sha256: sha256(acct.refresh_token), grace_sha256: null, grace_until: null, refreshes: 0 });
    const pair = await refresh(h.sim, acct.client_id, acct.refresh_token);
    view = (await h.sim.app.inject({ method: 'GET', url: `/sim/accounts/${acct.account_id}` })).json();
    expect(view.refresh).toMatchObject({
      latest_sha256: sha256(pair.refresh_token),
      grace_sha256: sha256(acct.refresh_token),
      grace_until: h.clock.now() + 3600_000,
      refreshes: 1,
    });
    expect(view.vehicles).toEqual(acct.vehicles);
    h.clock.advance(3600_000);
    view = (await h.sim.app.inject({ method: 'GET', url: `/sim/accounts/${acct.account_id}` })).json();
    expect(view.refresh.grace_sha256).toBeNull();
  });

  it('no admin read, stats or fault list ever contains a token', async () => {
    h = await harness();
    const { account, pair, vin } = await withToken(h.sim);
    const next = await refresh(h.sim, account.client_id, pair.refresh_token);
    await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data`, next.access_token);
    await h.sim.app.inject({ method: 'POST', url: '/sim/faults', payload: { target: 'oauth', kind: 'latency', latency_ms: 1 } });
    const secrets = [account.refresh_token, pair.refresh_token, pair.access_token, pair.id_token, next.refresh_token, next.access_token, next.id_token];
    const urls = ['/sim/stats', `/sim/stats?account=${account.account_id}`, '/sim/accounts', `/sim/accounts/${account.account_id}`, `/sim/vehicles/${vin}`, '/sim/faults'];
    for (const url of urls) {
      const text = (await h.sim.app.inject({ method: 'GET', url })).body;
      for (const secret of secrets) {
        expect(text.includes(secret), `${url} leaks a token`).toBe(false);
        // Not even a recognisable part of one.
        expect(text.includes(secret.slice(-24)), `${url} leaks part of a token`).toBe(false);
      }
    }
  });

  it('never logs tokens, even at trace level', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const clock = new ManualClock();
    const sim = await buildSimulator({ clock, logger: pino({ level: 'trace' }, sink) });
    try {
      const acct = await createAccount(sim);
      const pair = await refresh(sim, acct.client_id, acct.refresh_token);
      await tokenRequest(sim, { grant_type: 'refresh_token', client_id: acct.client_id, refresh_token: 'EU_wrong' });
      await fleet(sim, 'GET', `/api/1/vehicles/${acct.vehicles[0]!.vin}/vehicle_data`, pair.access_token);
      await fleet(sim, 'GET', '/api/1/vehicles', 'garbage-token');
      const text = lines.join('');
      expect(lines.length).toBeGreaterThan(3); // it did log the requests
      for (const secret of [acct.refresh_token, pair.refresh_token, pair.access_token, pair.id_token, 'EU_wrong', 'garbage-token']) {
        expect(text.includes(secret)).toBe(false);
      }
    } finally {
      await sim.close();
    }
  });

  it('moves a ManualClock through /sim/clock/advance', async () => {
    h = await harness();
    const before = h.clock.now();
    const res = await h.sim.app.inject({ method: 'POST', url: '/sim/clock/advance', payload: { seconds: 90 } });
    expect(res.statusCode).toBe(200);
    expect(h.clock.now()).toBe(before + 90_000);
    expect((await h.sim.app.inject({ method: 'GET', url: '/sim/clock' })).json()).toMatchObject({ now: before + 90_000, manual: true });
  });

  it('refuses to advance the system clock', async () => {
    const sim = await buildSimulator();
    try {
      const res = await sim.app.inject({ method: 'POST', url: '/sim/clock/advance', payload: { seconds: 60 } });
      expect(res.statusCode).toBe(409);
      expect(res.json().message).toMatch(/system clock/);
    } finally {
      await sim.close();
    }
  });

  it('unknown routes answer 404 in the dialect of their part', async () => {
    h = await harness();
    const api = await h.sim.app.inject({ method: 'GET', url: '/api/1/nothing' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ response: null, error: 'not_found' });
    const admin = await h.sim.app.inject({ method: 'GET', url: '/sim/nothing' });
    expect(admin.json()).toMatchObject({ error: 'not_found', message: expect.any(String) });
    expect((await stats(h.sim)).billing.total_usd).toBe(0);
  });
});
