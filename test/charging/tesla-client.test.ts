import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandFailedError } from '../../src/tesla/errors.js';
import { FleetClient } from '../../src/tesla/fleet.js';
import { parseVehicleData } from '../../src/tesla/vehicle-data.js';
import { chargingHarness } from './harness.js';

const answer = (body: unknown, status = 200) => (async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })) as unknown as typeof fetch;

describe('Tesla client: vehicle_data snapshot and commands', () => {
  let h: Awaited<ReturnType<typeof chargingHarness>>;
  let token: string;
  beforeEach(async () => {
    h = await chargingHarness();
    token = await h.deps.accessToken();
  });
  afterEach(() => h.close());

  it('parses charge, position and both schedule lists from the simulator', async () => {
    const s = await h.fleet.vehicleSnapshot(token, h.vin);
    expect(s).toMatchObject({ batteryLevel: 40, chargeLimitSoc: 80, pluggedIn: false, chargingState: 'Disconnected', chargeSchedules: [], preconditioningSchedules: [] });
    expect(s.location).toEqual({ lat: 52.2297, lon: 21.0122 });
  });

  it('unknown is not empty: a missing schedule list or position is null, an empty one is []', () => {
    const s = parseVehicleData('V', { charge_state: { battery_level: 50, conn_charge_cable: 'IEC' } }, 0);
    expect(s).toMatchObject({ chargeSchedules: null, preconditioningSchedules: null, location: null, pluggedIn: true });
    expect(parseVehicleData('V', { charge_schedule_data: { charge_schedules: [] } }, 0).chargeSchedules).toEqual([]);
    // One unreadable item makes the whole list unknown: acting on part of it could remove the wrong schedule.
    expect(parseVehicleData('V', { charge_schedule_data: { charge_schedules: [{ id: 1 }] } }, 0).chargeSchedules).toBeNull();
  });

  it('lesson: HTTP 200 with result:false is a failure (CommandFailedError), not success', async () => {
    const fleet = new FleetClient({ apiUrl: 'http://tesla.test', fetch: answer({ response: { result: false, reason: 'car could not execute command: is_charging' } }) });
    const err = await fleet.addChargeSchedule('t', 'V', { days_of_week: 'All', enabled: true, start_enabled: true, start_time: 0, end_enabled: true, end_time: 60, lat: 0, lon: 0, one_time: true }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandFailedError);
    expect(err.reasonCode).toBe('is_charging');
    expect(fleet.calls.command).toBe(1);
  });

  it('lesson: removing a schedule that is already gone is success', async () => {
    expect(await h.fleet.removeChargeSchedule(token, h.vin, 12345)).toBe(false);
    const proxied = new FleetClient({ apiUrl: 'http://tesla.test', fetch: answer({ response: { result: false, reason: 'car could not execute command: not_found' } }) });
    await expect(proxied.removeChargeSchedule('t', 'V', 1)).resolves.toBe(false);
  });

  it('commands go to TESLA_COMMAND_PROXY_URL when configured; reads stay on the API URL', async () => {
    const urls: string[] = [];
    const spy = (async (url: string) => {
      urls.push(url);
      return new Response(JSON.stringify({ response: url.includes('/command/') ? { result: true, reason: '' } : { vin: 'V', state: 'online' } }), { status: 200 });
    }) as unknown as typeof fetch;
    const fleet = new FleetClient({ apiUrl: 'https://fleet.test', commandProxyUrl: 'https://proxy.local:4443', fetch: spy });
    await fleet.getVehicle('t', 'V');
    await fleet.setChargeLimit('t', 'V', 90);
    expect(urls).toEqual(['https://fleet.test/api/1/vehicles/V', 'https://proxy.local:4443/api/1/vehicles/V/command/set_charge_limit']);
  });

  it('ensureOnline wakes only an asleep car, and waits a bounded time for it', async () => {
    expect(await h.fleet.ensureOnline(token, h.vin)).toBe(false);
    await h.car({ asleep: true });
    expect(await h.fleet.ensureOnline(token, h.vin)).toBe(true);
    expect((await h.view()).state).toBe('online');
    expect((await h.sim.stats()).wakes).toBe(1);
  });
});
