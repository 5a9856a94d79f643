import { afterEach, describe, expect, it } from 'vitest';
import { injectFetch } from '../../src/demo/inject-fetch.js';
import { ForbiddenError } from '../../src/tesla/errors.js';
import { parseSimFlags } from '../../src/sim/cli.js';
import { FleetClient, joinUrl } from '../../src/tesla/fleet.js';
import { fleet, harness, stats, vehicleAdmin, withToken, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.sim.close();
  h = undefined;
});

const UNSIGNED = { response: null, error: 'Tesla Vehicle Command Protocol required', error_description: expect.any(String) };

describe('requireSignedCommands: direct commands 403, the /proxy stand-in accepts them', () => {
  it('a direct command answers 403 and is billed as a command; the same command via /proxy succeeds', async () => {
    h = await harness({ requireSignedCommands: true });
    const { account, pair, vin } = await withToken(h.sim);
    const direct = await fleet(h.sim, 'POST', `/api/1/vehicles/${vin}/command/set_charge_limit`, pair.access_token, { percent: 90 });
    expect(direct.statusCode).toBe(403);
    expect(direct.json()).toEqual(UNSIGNED);
    expect((await vehicleAdmin(h.sim, vin)).charge_limit_soc).toBe(80);
    expect((await stats(h.sim, account.account_id)).billing.command.count).toBe(1);

    const viaProxy = await fleet(h.sim, 'POST', `/proxy/api/1/vehicles/${vin}/command/set_charge_limit`, pair.access_token, { percent: 90 });
    expect(viaProxy.statusCode).toBe(200);
    expect(viaProxy.json()).toEqual({ response: { result: true, reason: '' } });
    expect((await vehicleAdmin(h.sim, vin)).charge_limit_soc).toBe(90);
    expect((await stats(h.sim, account.account_id)).billing.command.count).toBe(2);
    // The proxy still wants the bearer token.
    expect((await fleet(h.sim, 'POST', `/proxy/api/1/vehicles/${vin}/command/charge_stop`, 'not-a-token')).statusCode).toBe(401);
  });

  it('with the option off (the default) both paths work', async () => {
    h = await harness();
    const { pair, vin } = await withToken(h.sim);
    const direct = await fleet(h.sim, 'POST', `/api/1/vehicles/${vin}/command/set_charge_limit`, pair.access_token, { percent: 90 });
    expect(direct.statusCode).toBe(200);
    expect(direct.json().response).toEqual({ result: true, reason: '' });
    const viaProxy = await fleet(h.sim, 'POST', `/proxy/api/1/vehicles/${vin}/command/set_charge_limit`, pair.access_token, { percent: 95 });
    expect(viaProxy.statusCode).toBe(200);
    expect(viaProxy.json().response).toEqual({ result: true, reason: '' });
    expect((await vehicleAdmin(h.sim, vin)).charge_limit_soc).toBe(95);
  });

  it('through FleetClient: ForbiddenError without commandProxyUrl, success with `${base}/proxy`', async () => {
    h = await harness({ requireSignedCommands: true });
    const { pair, vin } = await withToken(h.sim);
    const base = 'http://sim.test';
    const fetch = injectFetch(h.sim.app);
    const direct = new FleetClient({ apiUrl: base, fetch, clock: h.clock });
    await expect(direct.setChargeLimit(pair.access_token, vin, 90)).rejects.toBeInstanceOf(ForbiddenError);
    expect(direct.calls.command).toBe(1);
    const signed = new FleetClient({ apiUrl: base, commandProxyUrl: `${base}/proxy`, fetch, clock: h.clock });
    await expect(signed.setChargeLimit(pair.access_token, vin, 90)).resolves.toBe(true);
    // Reads stay on the Fleet API.
    expect((await signed.getVehicle(pair.access_token, vin)).vin).toBe(vin);
    expect((await vehicleAdmin(h.sim, vin)).charge_limit_soc).toBe(90);
  });
});

it('offpeak sim --require-signed turns the option on', () => {
  const base = { port: '0', host: '127.0.0.1', region: 'EU' };
  expect(parseSimFlags({ ...base, requireSigned: true }).options.requireSignedCommands).toBe(true);
  expect(parseSimFlags(base).options.requireSignedCommands).toBe(false);
});

describe('joinUrl (FleetClient URLs keep the base path prefix)', () => {
  it('keeps a path prefix, with or without a trailing slash, and the query', () => {
    expect(joinUrl('https://proxy.local:4443/proxy', '/api/1/vehicles/V/command/charge_stop')).toBe(
      'https://proxy.local:4443/proxy/api/1/vehicles/V/command/charge_stop',
    );
    expect(joinUrl('https://proxy.local/proxy/', '/api/1/vehicles')).toBe('https://proxy.local/proxy/api/1/vehicles');
    expect(joinUrl('https://fleet-api.prd.eu.vn.cloud.tesla.com', '/api/1/vehicles/V/vehicle_data?endpoints=a%3Bb')).toBe(
      'https://fleet-api.prd.eu.vn.cloud.tesla.com/api/1/vehicles/V/vehicle_data?endpoints=a%3Bb',
    );
    expect(joinUrl('https://fleet-api.prd.eu.vn.cloud.tesla.com/', '/api/1/vehicles')).toBe('https://fleet-api.prd.eu.vn.cloud.tesla.com/api/1/vehicles');
  });
});
