import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createAccount, fleet, harness, refresh, stats, withToken, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.sim.close();
  h = undefined;
});

describe('access tokens', () => {
  it('are JWTs with Tesla-style claims and exp = iat + accessTtlSec on the sim clock', async () => {
    h = await harness({ accessTtlSec: 600 });
    const { account, pair } = await withToken(h.sim);
    expect(decodeProtectedHeader(pair.access_token).alg).toBe('HS256');
    const claims = decodeJwt(pair.access_token);
    const iat = Math.floor(h.clock.now() / 1000);
    expect(claims).toMatchObject({
      iss: 'https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/nts',
      azp: account.client_id,
      sub: account.account_id,
      ou_code: 'EU',
      iat,
      exp: iat + 600,
    });
    expect(claims.aud).toEqual(expect.arrayContaining([h.sim.state.baseUrl, 'https://fleet-api.prd.eu.vn.cloud.tesla.com']));
    expect(claims.scp).toEqual(expect.arrayContaining(['openid', 'offline_access', 'vehicle_device_data', 'vehicle_location']));
    expect(claims.jti).toEqual(expect.any(String));
    expect(pair.expires_in).toBe(600);
    const second = decodeJwt((await refresh(h.sim, account.client_id, pair.refresh_token)).access_token);
    expect(second.jti).not.toBe(claims.jti);
  });

  it('name the listening URL in aud once the simulator listens', async () => {
    h = await harness();
    const url = await h.sim.listen(0);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { pair } = await withToken(h.sim);
    expect(decodeJwt(pair.access_token).aud).toContain(url);
  });

  it('expire per the simulator clock, with Tesla texts for expired and invalid tokens', async () => {
    h = await harness({ accessTtlSec: 600 });
    const { pair } = await withToken(h.sim);
    expect((await fleet(h.sim, 'GET', '/api/1/vehicles', pair.access_token)).statusCode).toBe(200);
    h.clock.advance(599_000);
    expect((await fleet(h.sim, 'GET', '/api/1/vehicles', pair.access_token)).statusCode).toBe(200);
    h.clock.advance(1000);
    const expired = await fleet(h.sim, 'GET', '/api/1/vehicles', pair.access_token);
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toEqual({ error: 'token expired (401)' });

    const [head, body] = pair.access_token.split('.');
    const forged = `${head}.${body}.${'A'.repeat(43)}`;
    for (const headers of [{}, { authorization: 'Bearer not-a-jwt' }, { authorization: `Bearer ${forged}` }, { authorization: pair.access_token }]) {
      const res = await h.sim.app.inject({ method: 'GET', url: '/api/1/vehicles', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: 'invalid bearer token' });
    }
  });

  it('are not rejected by a refresh unless revokeAccessOnRefresh is on', async () => {
    h = await harness();
    const { account, pair } = await withToken(h.sim);
    await refresh(h.sim, account.client_id, pair.refresh_token);
    expect((await fleet(h.sim, 'GET', '/api/1/vehicles', pair.access_token)).statusCode).toBe(200);
  });

  it('with revokeAccessOnRefresh, earlier access tokens of the account read as expired after a refresh', async () => {
    h = await harness({ revokeAccessOnRefresh: true });
    const { account, pair } = await withToken(h.sim);
    const other = await withToken(h.sim);
    const next = await refresh(h.sim, account.client_id, pair.refresh_token);
    const old = await fleet(h.sim, 'GET', '/api/1/vehicles', pair.access_token);
    expect(old.statusCode).toBe(401);
    expect(old.json()).toEqual({ error: 'token expired (401)' });
    expect((await fleet(h.sim, 'GET', '/api/1/vehicles', next.access_token)).statusCode).toBe(200);
    // Another account's token is untouched.
    expect((await fleet(h.sim, 'GET', '/api/1/vehicles', other.pair.access_token)).statusCode).toBe(200);
  });

  it('of another region get 421 with the right base URL', async () => {
    h = await harness({ region: 'EU' });
    const acct = await createAccount(h.sim, { region: 'NA' });
    expect(acct.refresh_token).toMatch(/^NA_/);
    const pair = await refresh(h.sim, acct.client_id, acct.refresh_token);
    expect(decodeJwt(pair.access_token).ou_code).toBe('NA');
    const res = await fleet(h.sim, 'GET', '/api/1/vehicles', pair.access_token);
    expect(res.statusCode).toBe(421);
    expect(res.json().error).toBe('user out of region, use base URL: https://fleet-api.prd.na.vn.cloud.tesla.com');
  });

  it('401 answers are counted but never billed', async () => {
    h = await harness();
    const { vin } = await withToken(h.sim);
    await h.sim.app.inject({ method: 'GET', url: `/api/1/vehicles/${vin}/vehicle_data` });
    await h.sim.app.inject({ method: 'POST', url: `/api/1/vehicles/${vin}/wake_up`, headers: { authorization: 'Bearer x' } });
    const s = await stats(h.sim);
    expect(s.fleet.requests).toBe(2);
    expect(s.fleet.by_status).toEqual({ '401': 2 });
    expect(s.billing.total_usd).toBe(0);
    expect(s.billing.data.count + s.billing.wake.count).toBe(0);
  });
});
