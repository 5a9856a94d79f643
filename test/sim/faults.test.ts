import { afterEach, describe, expect, it } from 'vitest';
import { createAccount, fleet, harness, sha256, stats, tokenRequest, withToken, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.sim.close();
  h = undefined;
});

const addFault = async (hh: Harness, body: Record<string, unknown>) => {
  const res = await hh.sim.app.inject({ method: 'POST', url: '/sim/faults', payload: body });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
};

describe('faults', () => {
  it('oauth latency: the rotation is committed before the held answer is sent', async () => {
    h = await harness();
    const acct = await createAccount(h.sim);
    await addFault(h, { target: 'oauth', kind: 'latency', latency_ms: 400, count: 1 });
    const started = Date.now();
    const pending = tokenRequest(h.sim, { grant_type: 'refresh_token', client_id: acct.client_id, refresh_token: acct.refresh_token });
    // While the answer is held, Tesla has already rotated: the admin view shows a new latest token.
    await new Promise((r) => setTimeout(r, 150));
    const during = (await h.sim.app.inject({ method: 'GET', url: `/sim/accounts/${acct.account_id}` })).json();
    expect(during.refresh.refreshes).toBe(1);
    expect(during.refresh.latest_sha256).not.toBe(sha256(acct.refresh_token));
    expect(during.refresh.grace_sha256).toBe(sha256(acct.refresh_token));
    const res = await pending;
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(res.statusCode).toBe(200);
    expect(sha256(res.json().refresh_token)).toBe(during.refresh.latest_sha256);
    // count: 1, so the fault is gone.
    expect((await h.sim.app.inject({ method: 'GET', url: '/sim/faults' })).json().faults).toEqual([]);
    expect((await stats(h.sim)).faults_injected).toBe(1);
  });

  it('a client that gives up while the answer is held has lost the new tokens; only the grace token saves it', async () => {
    h = await harness({ refreshGraceSec: 0 });
    const url = await h.sim.listen(0);
    const acct = await createAccount(h.sim);
    await addFault(h, { target: 'oauth', kind: 'latency', latency_ms: 500, count: 1 });
    const body = new URLSearchParams({ grant_type: 'refresh_token', client_id: acct.client_id, refresh_token: acct.refresh_token });
    await expect(
      fetch(`${url}/oauth2/v3/token`, { method: 'POST', body, signal: AbortSignal.timeout(100) }),
    ).rejects.toThrow();
    const retry = await tokenRequest(h.sim, Object.fromEntries(body));
    expect(retry.statusCode).toBe(401);
    expect(retry.json().error).toBe('login_required');
  });

  it('fleet error faults answer 5xx without doing the work and are not billed', async () => {
    h = await harness();
    const { pair, vin } = await withToken(h.sim);
    await addFault(h, { target: 'fleet', kind: 'error', status: 502, count: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await fleet(h.sim, 'POST', `/api/1/vehicles/${vin}/command/set_charge_limit`, pair.access_token, { percent: 60 });
      expect(res.statusCode).toBe(502);
      expect(res.json()).toMatchObject({ response: null, error: expect.any(String) });
    }
    const third = await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data?endpoints=charge_state`, pair.access_token);
    expect(third.statusCode).toBe(200);
    expect(third.json().response.charge_state.charge_limit_soc).toBe(80);
    const s = await stats(h.sim);
    expect(s.fleet.by_status).toEqual({ '200': 1, '502': 2 });
    expect(s.billing.command.count).toBe(0);
    expect(s.billing.data.count).toBe(1);
    expect(s.faults_injected).toBe(2);
  });

  it('oauth error faults default to 503 and leave the refresh token unspent', async () => {
    h = await harness();
    const acct = await createAccount(h.sim);
    await addFault(h, { target: 'oauth', kind: 'error', count: 1 });
    const fields = { grant_type: 'refresh_token', client_id: acct.client_id, refresh_token: acct.refresh_token };
    const res = await tokenRequest(h.sim, fields);
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toBe('server_error');
    expect((await tokenRequest(h.sim, fields)).statusCode).toBe(200);
  });

  it('rate_limit answers 429 with Retry-After and Tesla’s text, billed', async () => {
    h = await harness();
    const { pair, vin } = await withToken(h.sim);
    await addFault(h, { target: 'fleet', kind: 'rate_limit', retry_after_s: 37, path_prefix: `/api/1/vehicles/${vin}/vehicle_data` });
    const limited = await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data`, pair.access_token);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('37');
    expect(limited.json()).toEqual({ error: 'Too Many Requests', error_description: 'Retry in 37 seconds' });
    // Outside the prefix nothing happens; the fault has no count, so it keeps applying.
    expect((await fleet(h.sim, 'GET', '/api/1/vehicles', pair.access_token)).statusCode).toBe(200);
    expect((await fleet(h.sim, 'GET', `/api/1/vehicles/${vin}/vehicle_data`, pair.access_token)).statusCode).toBe(429);
    const s = await stats(h.sim);
    expect(s.billing.data).toEqual({ count: 2, usd: 0.004 });
  });

  it('lists, deletes one and clears faults', async () => {
    h = await harness();
    const a = await addFault(h, { target: 'fleet', kind: 'error' });
    await addFault(h, { target: 'oauth', kind: 'latency', latency_ms: 5 });
    let list = (await h.sim.app.inject({ method: 'GET', url: '/sim/faults' })).json().faults;
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ id: a, target: 'fleet', kind: 'error', status: 503, remaining: null });
    expect((await h.sim.app.inject({ method: 'DELETE', url: `/sim/faults/${a}` })).statusCode).toBe(200);
    expect((await h.sim.app.inject({ method: 'DELETE', url: `/sim/faults/${a}` })).statusCode).toBe(404);
    list = (await h.sim.app.inject({ method: 'GET', url: '/sim/faults' })).json().faults;
    expect(list).toHaveLength(1);
    await h.sim.app.inject({ method: 'DELETE', url: '/sim/faults' });
    expect((await h.sim.app.inject({ method: 'GET', url: '/sim/faults' })).json().faults).toEqual([]);
  });

  it('rejects malformed faults', async () => {
    h = await harness();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ target: 'fleet' }, /kind/],
      [{ target: 'db', kind: 'error' }, /target must be one of "oauth", "fleet"/],
      [{ target: 'fleet', kind: 'error', status: 404 }, /status must be >= 500/],
      [{ target: 'fleet', kind: 'latency' }, /latency_ms is required/],
      [{ target: 'fleet', kind: 'error', latency_ms: 5 }, /latency_ms only applies/],
      [{ target: 'fleet', kind: 'rate_limit', count: 0 }, /count must be >= 1/],
      [{ target: 'fleet', kind: 'error', path_prefix: 'api' }, /path_prefix/],
    ];
    for (const [body, message] of cases) {
      const res = await h.sim.app.inject({ method: 'POST', url: '/sim/faults', payload: body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error).toBe('invalid_request');
      expect(res.json().message).toMatch(message);
    }
  });
});
