import { afterEach, describe, expect, it } from 'vitest';
import { localTime } from '../../src/sim/localtime.js';
import { parseDaysOfWeek } from '../../src/sim/schedules.js';
import { fleet, harness, patchVehicle, vehicleAdmin, withToken, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.sim.close();
  h = undefined;
});

const MIN = 60_000;
const HOUR = 60 * MIN;
const HOME = { lat: 52.2297, lon: 21.0122 };
const nightly = { days_of_week: 'All', enabled: true, start_enabled: true, start_time: 22 * 60, end_enabled: true, end_time: 6 * 60, ...HOME };

describe('schedule helpers', () => {
  it('parses days like the proxy accepts them', () => {
    expect(parseDaysOfWeek('All')).toBe(127);
    expect(parseDaysOfWeek('Weekdays')).toBe(0b0111110);
    expect(parseDaysOfWeek('Weekends')).toBe(0b1000001);
    expect(parseDaysOfWeek('Monday,Tuesday')).toBe(6);
    expect(parseDaysOfWeek('sun')).toBe(1);
    expect(parseDaysOfWeek('Funday')).toBeNull();
    expect(parseDaysOfWeek(0)).toBeNull();
  });
  it('computes Warsaw wall-clock time across DST', () => {
    expect(localTime(Date.parse('2026-03-29T00:59:00Z'), 'Europe/Warsaw')).toEqual({ weekday: 0, minute: 119 });
    expect(localTime(Date.parse('2026-03-29T01:00:00Z'), 'Europe/Warsaw')).toEqual({ weekday: 0, minute: 180 });
    expect(localTime(Date.parse('2026-10-25T00:30:00Z'), 'Europe/Warsaw')).toEqual({ weekday: 0, minute: 150 });
    expect(localTime(Date.parse('2026-10-25T01:30:00Z'), 'Europe/Warsaw')).toEqual({ weekday: 0, minute: 150 });
  });
});

describe('charging', () => {
  it('starts at once when plugged in with no schedule, charges at the charger power and completes at the limit', async () => {
    h = await harness();
    const { vin } = await withToken(h.sim, { vehicles: [{ battery_level: 50, charge_limit_soc: 80 }] });
    await patchVehicle(h.sim, vin, { plugged_in: true });
    expect((await vehicleAdmin(h.sim, vin)).charging_state).toBe('Charging');
    // 11 kW into 75 kWh: 30 % takes 22.5 kWh = 2 h 2.7 min.
    h.clock.advance(HOUR);
    const mid = await vehicleAdmin(h.sim, vin);
    expect(mid.battery_level).toBe(64);
    expect(mid.charge_energy_added).toBeCloseTo(11, 5);
    expect(mid.charge_state.charger_power).toBe(11);
    h.clock.advance(2 * HOUR);
    const done = await vehicleAdmin(h.sim, vin);
    expect(done).toMatchObject({ battery_level: 80, charging_state: 'Complete' });
    expect(done.charge_energy_added).toBeCloseTo(22.5, 5);
    // It stayed awake while charging and falls asleep 15 min after it finished (at ~2 h 03 min).
    expect(done.state).toBe('asleep');
  });

  it('a charging car stays awake; it falls asleep sleepAfter after charging ends', async () => {
    h = await harness({ sleepAfterSec: 900 });
    const { vin } = await withToken(h.sim, { vehicles: [{ battery_level: 78, charge_limit_soc: 80 }] });
    await patchVehicle(h.sim, vin, { plugged_in: true });
    // 2 % = 1.5 kWh at 11 kW = 8 min 11 s.
    h.clock.advance(20 * MIN);
    expect((await vehicleAdmin(h.sim, vin)).state).toBe('online');
    h.clock.advance(5 * MIN);
    expect((await vehicleAdmin(h.sim, vin)).state).toBe('asleep');
  });

  it('with a schedule at home, plugging in waits for the window, which may cross midnight', async () => {
    h = await harness();
    h.clock.set(Date.parse('2026-03-10T17:00:00Z')); // 18:00 in Warsaw
    const { pair, vin } = await withToken(h.sim, { vehicles: [{ battery_level: 20, charge_limit_soc: 90 }] });
    await fleet(h.sim, 'POST', `/api/1/vehicles/${vin}/command/add_charge_schedule`, pair.access_token, nightly);
    await patchVehicle(h.sim, vin, { plugged_in: true });
    expect((await vehicleAdmin(h.sim, vin)).charging_state).toBe('Stopped');
    h.clock.set(Date.parse('2026-03-10T20:59:00Z')); // 21:59
    const before = await vehicleAdmin(h.sim, vin);
    expect(before).toMatchObject({ charging_state: 'Stopped', battery_level: 20, state: 'asleep' });
    h.clock.set(Date.parse('2026-03-10T22:00:00Z')); // 23:00, one hour into the window
    const during = await vehicleAdmin(h.sim, vin);
    expect(during).toMatchObject({ charging_state: 'Charging', state: 'online' });
    expect(during.charge_energy_added).toBeCloseTo(11, 5);
    h.clock.set(Date.parse('2026-03-11T08:00:00Z')); // 09:00 next morning
    const after = await vehicleAdmin(h.sim, vin);
    // 22:00 → 06:00 is 8 h × 11 kW = 88 kWh offered; 70 % needs 52.5 kWh, so it reached the limit.
    expect(after).toMatchObject({ charging_state: 'Complete', battery_level: 90 });
  });

  it('stops at the end of the window and resumes the next night', async () => {
    h = await harness();
    h.clock.set(Date.parse('2026-03-10T17:00:00Z'));
    const { pair, vin } = await withToken(h.sim, { vehicles: [{ battery_level: 10, charge_limit_soc: 100 }] });
    const oneHour = { ...nightly, start_time: 1 * 60, end_time: 2 * 60 };
    await fleet(h.sim, 'POST', `/api/1/vehicles/${vin}/command/add_charge_schedule`, pair.access_token, oneHour);
    await patchVehicle(h.sim, vin, { plugged_in: true });
    h.clock.set(Date.parse('2026-03-12T12:00:00Z')); // two nights later
    const v = await vehicleAdmin(h.sim, vin);
    expect(v.charge_energy_added).toBeCloseTo(22, 5); // two 1-hour windows × 11 kW
    expect(v.charging_state).toBe('Stopped');
  });

  it('uses wall-clock windows on the short DST night (1 h window 01:00-03:00 local is 1 h long)', async () => {
    h = await harness();
    h.clock.set(Date.parse('2026-03-28T12:00:00Z'));
    const { pair, vin } = await withToken(h.sim, { vehicles: [{ battery_level: 10, charge_limit_soc: 100 }] });
    await fleet(h.sim, 'POST', `/api/1/vehicles/${vin}/command/add_charge_schedule`, pair.access_token, {
      ...nightly,
      start_time: 60,
      end_time: 180,
    });
    await patchVehicle(h.sim, vin, { plugged_in: true });
    h.clock.set(Date.parse('2026-03-29T06:00:00Z'));
    expect((await vehicleAdmin(h.sim, vin)).charge_energy_added).toBeCloseTo(11, 5);
  });

  it('ignores schedules away from their location, where plugging in charges at once', async () => {
    h = await harness();
    h.clock.set(Date.parse('2026-03-10T10:00:00Z'));
    const { pair, vin } = await withToken(h.sim, { vehicles: [{ battery_level: 40 }] });
    await fleet(h.sim, 'POST', `/api/1/vehicles/${vin}/command/add_charge_schedule`, pair.access_token, nightly);
    await patchVehicle(h.sim, vin, { latitude: 50.0647, longitude: 19.945 }); // Kraków
    await patchVehicle(h.sim, vin, { plugged_in: true });
    expect((await vehicleAdmin(h.sim, vin)).charging_state).toBe('Charging');
  });

  it('adding a schedule stops a session that only started because the car was plugged in', async () => {
    h = await harness();
    h.clock.set(Date.parse('2026-03-10T10:00:00Z'));
    const { pair, vin } = await withToken(h.sim, { vehicles: [{ battery_level: 40 }] });
    await patchVehicle(h.sim, vin, { plugged_in: true });
    expect((await vehicleAdmin(h.sim, vin)).charging_state).toBe('Charging');
    await fleet(h.sim, 'POST', `/api/1/vehicles/${vin}/command/add_charge_schedule`, pair.access_token, nightly);
    expect((await vehicleAdmin(h.sim, vin)).charging_state).toBe('Stopped');
  });

  it('charge_start overrides schedules; charge_stop inside a window holds until the window closes', async () => {
    h = await harness({ accessTtlSec: 7 * 86_400 }); // one token for the whole simulated day
    h.clock.set(Date.parse('2026-03-10T10:00:00Z'));
    const { pair, vin } = await withToken(h.sim, { vehicles: [{ battery_level: 10, charge_limit_soc: 100 }] });
    const cmd = (name: string, body?: unknown) => fleet(h!.sim, 'POST', `/api/1/vehicles/${vin}/command/${name}`, pair.access_token, body);
    await cmd('add_charge_schedule', nightly);
    await patchVehicle(h.sim, vin, { plugged_in: true });
    expect((await cmd('charge_start')).json().response.result).toBe(true);
    expect((await cmd('charge_start')).json().response.reason).toBe('is_charging');
    expect((await vehicleAdmin(h.sim, vin)).charging_state).toBe('Charging');
    expect((await cmd('charge_stop')).json().response.result).toBe(true);
    h.clock.set(Date.parse('2026-03-10T21:30:00Z')); // 22:30, inside the window
    expect((await vehicleAdmin(h.sim, vin)).charging_state).toBe('Charging');
    expect((await cmd('charge_stop')).json().response.result).toBe(true);
    h.clock.advance(2 * HOUR);
    expect((await vehicleAdmin(h.sim, vin)).charging_state).toBe('Stopped');
    h.clock.set(Date.parse('2026-03-11T21:30:00Z')); // the next night's window
    expect((await vehicleAdmin(h.sim, vin)).charging_state).toBe('Charging');
  });

  it('a start-only schedule keeps charging to the limit (end_enabled false)', async () => {
    h = await harness();
    h.clock.set(Date.parse('2026-03-10T10:00:00Z'));
    const { pair, vin } = await withToken(h.sim, { vehicles: [{ battery_level: 20, charge_limit_soc: 100 }] });
    await fleet(h.sim, 'POST', `/api/1/vehicles/${vin}/command/add_charge_schedule`, pair.access_token, {
      days_of_week: 'All', enabled: true, start_enabled: true, start_time: 22 * 60, end_enabled: false, ...HOME,
    });
    await patchVehicle(h.sim, vin, { plugged_in: true });
    h.clock.set(Date.parse('2026-03-11T12:00:00Z'));
    expect(await vehicleAdmin(h.sim, vin)).toMatchObject({ battery_level: 100, charging_state: 'Complete' });
  });

  it('a one-time schedule is used once and then disappears', async () => {
    h = await harness();
    h.clock.set(Date.parse('2026-03-10T10:00:00Z'));
    const { pair, vin } = await withToken(h.sim, { vehicles: [{ battery_level: 10, charge_limit_soc: 100 }] });
    await fleet(h.sim, 'POST', `/api/1/vehicles/${vin}/command/add_charge_schedule`, pair.access_token, {
      ...nightly, start_time: 60, end_time: 120, one_time: true,
    });
    await patchVehicle(h.sim, vin, { plugged_in: true });
    h.clock.set(Date.parse('2026-03-13T10:00:00Z'));
    const v = await vehicleAdmin(h.sim, vin);
    expect(v.charge_energy_added).toBeCloseTo(11, 5);
    expect(v.charge_schedules).toEqual([]);
  });

  it('NoPower when the charger gives nothing; Disconnected after unplugging', async () => {
    h = await harness();
    const { vin } = await withToken(h.sim, { vehicles: [{ battery_level: 40, charger_power_kw: 0 }] });
    await patchVehicle(h.sim, vin, { plugged_in: true });
    expect((await vehicleAdmin(h.sim, vin)).charging_state).toBe('NoPower');
    await patchVehicle(h.sim, vin, { plugged_in: false });
    expect((await vehicleAdmin(h.sim, vin)).charging_state).toBe('Disconnected');
  });
});
