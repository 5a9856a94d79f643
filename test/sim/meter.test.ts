import { afterEach, describe, expect, it } from 'vitest';
import { fleet, harness, stats, tokenRequest, withToken, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.sim.close();
  h = undefined;
});

describe('meter', () => {
  it('bills each Fleet API call by category at Tesla prices, globally and per account', async () => {
    h = await harness();
    const a = await withToken(h.sim);
    const b = await withToken(h.sim);
    for (let i = 0; i < 3; i++) await fleet(h.sim, 'GET', `/api/1/vehicles/${a.vin}/vehicle_data`, a.pair.access_token);
    await fleet(h.sim, 'POST', `/api/1/vehicles/${a.vin}/command/set_charge_limit`, a.pair.access_token, { percent: 70 });
    await fleet(h.sim, 'POST', `/api/1/vehicles/${a.vin}/command/charge_start`, a.pair.access_token); // result:false is billed too
    await fleet(h.sim, 'POST', `/api/1/vehicles/${b.vin}/wake_up`, b.pair.access_token);
    await fleet(h.sim, 'GET', '/api/1/vehicles', b.pair.access_token);
    await fleet(h.sim, 'GET', `/api/1/vehicles/${b.vin}`, b.pair.access_token);
    await fleet(h.sim, 'GET', `/api/1/vehicles/5YJ3SIM0000000000/vehicle_data`, b.pair.access_token); // 404 is billed

    const all = await stats(h.sim);
    expect(all.billing).toEqual({
      data: { count: 4, usd: 0.008 },
      command: { count: 2, usd: 0.002 },
      wake: { count: 1, usd: 0.02 },
      free: { count: 2, usd: 0 },
      total_usd: 0.03,
    });
    expect(all.fleet.requests).toBe(9);
    expect(all.fleet.by_status).toEqual({ '200': 8, '404': 1 });
    expect(all.fleet.by_endpoint).toEqual({
      vehicle_data: 4,
      'command/set_charge_limit': 1,
      'command/charge_start': 1,
      wake_up: 1,
      list: 1,
      vehicle: 1,
    });
    expect(all.oauth).toMatchObject({ requests: 2, refresh_ok: 2 });
    const onlyA = await stats(h.sim, a.account.account_id);
    expect(onlyA.billing.total_usd).toBe(0.008); // 3 data + 2 commands
    expect(onlyA.billing.wake.count).toBe(0);
    expect(onlyA.oauth.refresh_ok).toBe(1);
    const onlyB = await stats(h.sim, b.account.account_id);
    expect(onlyB.billing.total_usd).toBe(0.022);
    expect(onlyB.wakes).toBe(1);
  });

  it('bills the list calls in the configured category', async () => {
    h = await harness({ listCategory: 'data' });
    const a = await withToken(h.sim);
    await fleet(h.sim, 'GET', '/api/1/vehicles', a.pair.access_token);
    await fleet(h.sim, 'GET', `/api/1/vehicles/${a.vin}`, a.pair.access_token);
    expect((await stats(h.sim)).billing.data).toEqual({ count: 2, usd: 0.004 });
  });

  it('counts token requests but never bills them, and resets to zero', async () => {
    h = await harness();
    const a = await withToken(h.sim);
    await tokenRequest(h.sim, { grant_type: 'refresh_token', client_id: a.account.client_id, refresh_token: 'EU_nope' });
    let s = await stats(h.sim);
    expect(s.oauth).toMatchObject({ requests: 2, refresh_ok: 1, login_required: 1 });
    expect(s.billing.total_usd).toBe(0);
    const reset = await h.sim.app.inject({ method: 'POST', url: '/sim/stats/reset' });
    expect(reset.statusCode).toBe(200);
    s = await stats(h.sim);
    expect(s.oauth.requests).toBe(0);
    expect(s.fleet.requests).toBe(0);
    expect(s.billing.total_usd).toBe(0);
    expect((await stats(h.sim, a.account.account_id)).oauth.refresh_ok).toBe(0);
  });

  it('answers 404 for stats of an unknown account', async () => {
    h = await harness();
    const res = await h.sim.app.inject({ method: 'GET', url: '/sim/stats?account=acct_nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'not_found', message: 'account acct_nope not found' });
  });
});
