import { afterEach, describe, expect, it } from 'vitest';
import { createAccount, fleet, harness, patchVehicle, refresh, stats, vehicleAdmin, withToken, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.sim.close();
  h = undefined;
});

const MIN = 60_000;
const NOT_FOUND = { response: null, error: 'not_found', error_description: 'vehicle not found' };

describe('vehicle list and vehicle', () => {
  it('lists the account’s cars with pagination', async () => {
    h = await harness();
    const { account, pair } = await withToken(h.sim, { vehicles: 3 });
    const all = (await fleet(h.sim, 'GET', '/api/1/vehicles', pair.access_token)).json();
    expect(all.count).toBe(3);
    expect(all.response).toHaveLength(3);
    for (const item of all.response) {
      expect(item).toMatchObject({ id: expect.any(Number), vehicle_id: expect.any(Number), vin: expect.stringMatching(/^5YJ3SIM\d{10}$/), display_name: expect.any(String), state: 'online' });
    }
    expect(all.response.map((v: { vin: string }) => v.vin).sort()).toEqual(account.vehicles.map((v) => v.vin).sort());
    const page2 = (await fleet(h.sim, 'GET', '/api/1/vehicles?page=2&per_page=2', pair.access_token)).json();
    expect(page2.response).toHaveLength(1);
    expect(page2.pagination).toMatchObject({ current: 2, per_page: 2, previous: 1, next: null, pages: 2, count: 1 });
    expect(page2.count).toBe(3);
  });

  it('finds a car by VIN or numeric id, and hides other accounts’ cars and unknown ones behind 404', async () => {
    h = await harness();
    const me = await withToken(h.sim);
    const them = await createAccount(h.sim);
    const id = me.account.vehicles[0]!.id;
    const byVin = await fleet(h.sim, 'GET', `/api/1/vehicles/${me.vin}`, me.pair.access_token);
    expect(byVin.json().response).toMatchObject({ vin: me.vin, id, state: 'online' });
    expect((await fleet(h.sim, 'GET', `/api/1/vehicles/${id}`, me.pair.access_token)).json().response.vin).toBe(me.vin);
    for (const other of [them.vehicles[0]!.vin, '5YJ3SIM0000000000', '12345']) {
      for (const path of ['', '/vehicle_data']) {
        const res = await fleet(h.sim, 'GET', `/api/1/vehicles/${other}${path}`, me.pair.access_token);
        expect(res.statusCode).toBe(404);
        expect(res.json()).toEqual(NOT_FOUND);
      }
    }
  });
});

describe('vehicle_data', () => {
  it('answers an online car with charge state; location only when location_data is asked', async () => {
    h = await harness();
    const { pair, vin } = await withToken(h.sim);
    const res = await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data?endpoints=charge_state%3Bcharge_schedule_data`, pair.access_token);
    expect(res.statusCode).toBe(200);
    const r = res.json().response;
    expect(r).toMatchObject({ vin, state: 'online' });
    expect(r.charge_state).toMatchObject({
      battery_level: 50,
      charging_state: 'Disconnected',
      charge_limit_soc: 80,
      conn_charge_cable: '<invalid>',
      charger_power: 0,
      charge_rate: 0,
      battery_range: expect.any(Number),
      timestamp: h.clock.now(),
    });
    expect(r.charge_schedule_data.charge_schedules).toEqual([]);
    expect(r.drive_state).toBeUndefined();
    const withLoc = (
      await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data?endpoints=charge_state;location_data`, pair.access_token)
    ).json().response;
    expect(withLoc.drive_state).toMatchObject({ latitude: 52.2297, longitude: 21.0122, heading: expect.any(Number) });
    const driveOnly = (await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data?endpoints=drive_state`, pair.access_token)).json();
    expect(driveOnly.response.drive_state.latitude).toBeUndefined();
  });

  it('reports the plug and the cable', async () => {
    h = await harness();
    const { pair, vin } = await withToken(h.sim, { vehicles: [{ plugged_in: true, battery_level: 80 }] });
    const cs = (await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data?endpoints=charge_state`, pair.access_token)).json()
      .response.charge_state;
    expect(cs).toMatchObject({ conn_charge_cable: 'IEC', charging_state: 'Complete', battery_level: 80 });
  });

  it('answers 408 for an asleep car and is billed all the same', async () => {
    h = await harness();
    const { pair, vin, account } = await withToken(h.sim, { vehicles: [{ asleep: true }] });
    const res = await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data`, pair.access_token);
    expect(res.statusCode).toBe(408);
    expect(res.json()).toEqual({ response: null, error: 'vehicle unavailable: vehicle is offline or asleep', error_description: '' });
    const s = await stats(h.sim, account.account_id);
    expect(s.billing.data).toEqual({ count: 1, usd: 0.002 });
    expect((await vehicleAdmin(h.sim, vin)).state).toBe('asleep');
  });

  it('needs the vehicle_location scope for location_data', async () => {
    h = await harness();
    const { pair, vin } = await withToken(h.sim, { scopes: ['openid', 'offline_access', 'vehicle_device_data'] });
    const res = await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data?endpoints=location_data`, pair.access_token);
    expect(res.statusCode).toBe(403);
    expect((await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data?endpoints=charge_state`, pair.access_token)).statusCode).toBe(200);
  });
});

describe('sleep and wake', () => {
  it('falls asleep after sleepAfterSec without data requests; data requests keep it awake', async () => {
    h = await harness({ sleepAfterSec: 900 });
    const { pair, vin } = await withToken(h.sim);
    h.clock.advance(14 * MIN);
    expect((await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data`, pair.access_token)).statusCode).toBe(200);
    h.clock.advance(14 * MIN);
    expect((await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}`, pair.access_token)).json().response.state).toBe('online');
    h.clock.advance(MIN);
    expect((await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}`, pair.access_token)).json().response.state).toBe('asleep');
    expect((await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data`, pair.access_token)).statusCode).toBe(408);
  });

  it('list and vehicle reads neither wake the car nor reset its idle timer', async () => {
    h = await harness({ sleepAfterSec: 900 });
    const { pair, vin } = await withToken(h.sim);
    for (let i = 0; i < 14; i++) {
      h.clock.advance(MIN);
      await fleet(h.sim, 'GET', '/api/1/vehicles', pair.access_token);
      await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}`, pair.access_token);
    }
    h.clock.advance(MIN);
    const listed = (await fleet(h.sim, 'GET', '/api/1/vehicles', pair.access_token)).json();
    expect(listed.response[0].state).toBe('asleep');
    h.clock.advance(60 * MIN);
    expect((await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}`, pair.access_token)).json().response.state).toBe('asleep');
    expect((await stats(h.sim)).wakes).toBe(0);
  });

  it('can report "offline" while asleep, as many recent cars do', async () => {
    h = await harness();
    const { pair, vin } = await withToken(h.sim, { vehicles: [{ asleep: true, asleep_label: 'offline' }] });
    expect((await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}`, pair.access_token)).json().response.state).toBe('offline');
  });

  it('wake_up brings the car online after wakeDelaySec; each call is a billed wake', async () => {
    h = await harness({ wakeDelaySec: 10 });
    const { pair, vin, account } = await withToken(h.sim, { vehicles: [{ asleep: true }] });
    const first = await fleet(h.sim, 'POST', `/api/1/vehicles/${vin}/wake_up`, pair.access_token);
    expect(first.statusCode).toBe(200);
    expect(first.json().response).toMatchObject({ vin, state: 'asleep' });
    h.clock.advance(5000);
    // A second wake_up does not restart the delay.
    expect((await fleet(h.sim, 'POST', `/api/1/vehicles/${vin}/wake_up`, pair.access_token)).json().response.state).toBe('asleep');
    h.clock.advance(4999);
    expect((await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}`, pair.access_token)).json().response.state).toBe('asleep');
    h.clock.advance(1);
    expect((await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}`, pair.access_token)).json().response.state).toBe('online');
    expect((await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data`, pair.access_token)).statusCode).toBe(200);
    const s = await stats(h.sim, account.account_id);
    expect(s.billing.wake).toEqual({ count: 2, usd: 0.04 });
    expect(s.wakes).toBe(2);
    // Woken, it stays online until idle again (sleepAfter from when it came online / was last asked).
    h.clock.advance(15 * MIN);
    expect((await vehicleAdmin(h.sim, vin)).state).toBe('asleep');
  });

  it('plugging in (admin) wakes the car', async () => {
    h = await harness();
    const { pair, vin } = await withToken(h.sim, { vehicles: [{ asleep: true, battery_level: 90 }] });
    expect((await patchVehicle(h.sim, vin, { plugged_in: true })).statusCode).toBe(200);
    expect((await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}`, pair.access_token)).json().response.state).toBe('online');
  });
});

describe('commands', () => {
  it('answer result/reason like the signing proxy, and 408 when the car sleeps', async () => {
    h = await harness();
    const { pair, vin } = await withToken(h.sim);
    const cmd = (name: string, body?: unknown) => fleet(h!.sim, 'POST', `/api/1/vehicles/${vin}/command/${name}`, pair.access_token, body);
    expect((await cmd('charge_start')).json()).toEqual({ response: { result: false, reason: 'disconnected' } });
    expect((await cmd('charge_stop')).json().response).toEqual({ result: false, reason: 'not_charging' });
    expect((await cmd('set_charge_limit', { percent: 90 })).json().response).toEqual({ result: true, reason: '' });
    expect((await cmd('set_charge_limit', { percent: 90 })).json().response).toEqual({ result: false, reason: 'already_set' });
    const bad = await cmd('set_charge_limit', { percent: 20 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error_description).toMatch(/percent must be an integer from 50 to 100/);
    expect((await cmd('remove_charge_schedule', { id: 42 })).json().response).toEqual({ result: false, reason: 'not_found' });
    expect((await cmd('honk_horn_forever')).statusCode).toBe(400);
    await patchVehicle(h.sim, vin, { asleep: true });
    expect((await cmd('set_charge_limit', { percent: 70 })).statusCode).toBe(408);
    expect((await vehicleAdmin(h.sim, vin)).charge_limit_soc).toBe(90);
  });

  it('add_charge_schedule and remove_charge_schedule change what vehicle_data shows', async () => {
    h = await harness();
    const { pair, vin } = await withToken(h.sim);
    const cmd = (name: string, body?: unknown) => fleet(h!.sim, 'POST', `/api/1/vehicles/${vin}/command/${name}`, pair.access_token, body);
    const add = await cmd('add_charge_schedule', {
      days_of_week: 'All', enabled: true, start_enabled: true, start_time: 1320, end_enabled: true, end_time: 360, lat: 52.2297, lon: 21.0122, one_time: false,
    });
    expect(add.json().response.result).toBe(true);
    const data = async () =>
      (await fleet(h!.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data?endpoints=charge_schedule_data`, pair.access_token)).json().response
        .charge_schedule_data.charge_schedules;
    const [s] = await data();
    expect(s).toMatchObject({ days_of_week: 127, enabled: true, start_time: 1320, end_time: 360, latitude: 52.2297, longitude: 21.0122, one_time: false });
    expect(s.id).toEqual(expect.any(Number));
    // Same id modifies in place.
    await cmd('add_charge_schedule', { id: s.id, days_of_week: 'Weekdays', enabled: true, start_enabled: true, start_time: 1380, end_enabled: true, end_time: 300, lat: 52.2297, lon: 21.0122 });
    const after = await data();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: s.id, days_of_week: 62, start_time: 1380 });
    const bad = await cmd('add_charge_schedule', { days_of_week: 'Funday', start_enabled: true, start_time: 1, lat: 0, lon: 0 });
    expect(bad.statusCode).toBe(400);
    expect((await cmd('remove_charge_schedule', { id: s.id })).json().response.result).toBe(true);
    expect(await data()).toEqual([]);
  });
});

describe('another token refresh does not disturb the car', () => {
  it('keeps state across token rotation', async () => {
    h = await harness();
    const { account, pair, vin } = await withToken(h.sim);
    await fleet(h.sim, 'POST', `/api/1/vehicles/${vin}/command/set_charge_limit`, pair.access_token, { percent: 65 });
    const next = await refresh(h.sim, account.client_id, pair.refresh_token);
    const cs = (await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data?endpoints=charge_state`, next.access_token)).json();
    expect(cs.response.charge_state.charge_limit_soc).toBe(65);
  });
});
