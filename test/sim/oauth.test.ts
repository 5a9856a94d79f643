import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { freshRefreshState, judge, rotate, type RefreshState } from '../../src/sim/rotation.js';
import { createAccount, harness, refresh, sha256, tokenRequest, type Harness } from './helpers.js';

const HOUR = 3_600_000;
let h: Harness | undefined;
afterEach(async () => {
  await h?.sim.close();
  h = undefined;
});

describe('refresh-token rotation (pure rules)', () => {
  const policy = { graceMs: 24 * HOUR, refreshTtlMs: 90 * 24 * HOUR };
  it('accepts the latest, then that one as grace, and nothing older', () => {
    let s = freshRefreshState('r0', 0);
    expect(judge(s, 'r0', 0, policy)).toBe('latest');
    s = rotate(s, 'r0', 'r1', 1000, policy)!;
    expect(judge(s, 'r1', 1000, policy)).toBe('latest');
    expect(judge(s, 'r0', 1000, policy)).toBe('grace');
    s = rotate(s, 'r1', 'r2', 2000, policy)!;
    expect(judge(s, 'r0', 2000, policy)).toBe('invalid');
    expect(judge(s, 'r1', 2000, policy)).toBe('grace');
    expect(rotate(s, 'r0', 'x', 2000, policy)).toBeNull();
  });
  it('keeps the grace window from the first use when the grace token is used again', () => {
    let s = freshRefreshState('r0', 0);
    s = rotate(s, 'r0', 'r1', 0, policy)!;
    s = rotate(s, 'r0', 'r2', 10 * HOUR, policy)!;
    expect(s.graceFirstUsedAt).toBe(0);
    expect(judge(s, 'r1', 10 * HOUR, policy)).toBe('invalid');
    expect(judge(s, 'r0', 24 * HOUR - 1, policy)).toBe('grace');
    expect(judge(s, 'r0', 24 * HOUR, policy)).toBe('invalid');
  });
  it('never has more than two valid tokens, and the newest one is always valid (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ pick: fc.nat(20), wait: fc.integer({ min: 0, max: 30 * HOUR }) }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 48 * HOUR }),
        (steps, graceMs) => {
          const p = { graceMs, refreshTtlMs: 90 * 24 * HOUR };
          const issued = ['t0'];
          let s: RefreshState = freshRefreshState('t0', 0);
          let now = 0;
          for (const { pick, wait } of steps) {
            now += wait;
            // Present any token ever issued, newest first when pick is small.
            const presented = issued[Math.max(0, issued.length - 1 - pick)]!;
            const fresh = `t${issued.length}`;
            const next = rotate(s, presented, fresh, now, p);
            if (next) {
              issued.push(fresh);
              s = next;
            }
            const valid = issued.filter((t) => judge(s, t, now, p) !== 'invalid');
            expect(valid.length).toBeLessThanOrEqual(2);
            expect(judge(s, issued[issued.length - 1]!, now, p)).toBe('latest');
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('lets an unused latest token age out', () => {
    const s = freshRefreshState('r0', 0);
    expect(judge(s, 'r0', policy.refreshTtlMs - 1, policy)).toBe('latest');
    expect(judge(s, 'r0', policy.refreshTtlMs, policy)).toBe('invalid');
  });
});

describe('POST /oauth2/v3/token grant_type=refresh_token', () => {
  it('issues a new pair with a region-prefixed refresh token', async () => {
    h = await harness();
    const acct = await createAccount(h.sim);
    expect(acct.refresh_token).toMatch(/^EU_[0-9a-f]{96}$/);
    const res = await tokenRequest(h.sim, { grant_type: 'refresh_token', client_id: acct.client_id, refresh_token: acct.refresh_token });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'id_token', 'refresh_token', 'token_type']);
    expect(body).toMatchObject({ expires_in: 28800, token_type: 'Bearer' });
    expect(body.refresh_token).toMatch(/^EU_/);
    expect(body.refresh_token).not.toBe(acct.refresh_token);
    expect(body.access_token.split('.')).toHaveLength(3);
    expect(body.id_token.split('.')).toHaveLength(3);
  });

  it('also accepts a JSON body', async () => {
    h = await harness();
    const acct = await createAccount(h.sim);
    const res = await h.sim.app.inject({
      method: 'POST',
      url: '/oauth2/v3/token',
      payload: { grant_type: 'refresh_token', client_id: acct.client_id, refresh_token: acct.refresh_token },
    });
    expect(res.statusCode).toBe(200);
  });

  it('keeps the latest valid and the most recently used one only within its grace', async () => {
    h = await harness({ refreshGraceSec: 3600 });
    const acct = await createAccount(h.sim);
    const r0 = acct.refresh_token;
    const p1 = await refresh(h.sim, acct.client_id, r0);
    h.clock.advance(30 * 60_000);
    // r0 is the grace token: accepted, and it yields a new pair that replaces p1's token.
    const p2 = await refresh(h.sim, acct.client_id, r0);
    const latestOnly = await tokenRequest(h.sim, { grant_type: 'refresh_token', client_id: acct.client_id, refresh_token: p1.refresh_token });
    expect(latestOnly.statusCode).toBe(401);
    // Still within the hour from r0's FIRST use.
    h.clock.advance(29 * 60_000);
    await refresh(h.sim, acct.client_id, r0);
    h.clock.advance(60_000);
    const late = await tokenRequest(h.sim, { grant_type: 'refresh_token', client_id: acct.client_id, refresh_token: r0 });
    expect(late.statusCode).toBe(401);
    expect(late.json()).toEqual({ error: 'login_required', error_description: 'The refresh_token is invalid' });
    expect(p2.refresh_token).not.toBe(p1.refresh_token);
  });

  it('with grace 0 only the latest token is valid', async () => {
    h = await harness({ refreshGraceSec: 0 });
    const acct = await createAccount(h.sim);
    const p1 = await refresh(h.sim, acct.client_id, acct.refresh_token);
    const again = await tokenRequest(h.sim, { grant_type: 'refresh_token', client_id: acct.client_id, refresh_token: acct.refresh_token });
    expect(again.statusCode).toBe(401);
    expect(again.json().error).toBe('login_required');
    const p2 = await refresh(h.sim, acct.client_id, p1.refresh_token);
    expect(p2.refresh_token).toMatch(/^EU_/);
  });

  it('two clients refreshing their own copy of one token end in login_required (the original failure)', async () => {
    h = await harness();
    const acct = await createAccount(h.sim);
    let scout = acct.refresh_token;
    let worker = acct.refresh_token;
    // Each side refreshes on its own schedule and keeps only what it got back.
    worker = (await refresh(h.sim, acct.client_id, worker)).refresh_token;
    h.clock.advance(15 * 60_000);
    scout = (await refresh(h.sim, acct.client_id, scout)).refresh_token; // grace token: accepted, retires worker's
    h.clock.advance(15 * 60_000);
    const w = await tokenRequest(h.sim, { grant_type: 'refresh_token', client_id: acct.client_id, refresh_token: worker });
    expect(w.statusCode).toBe(401);
    expect(w.json().error).toBe('login_required');
    scout = (await refresh(h.sim, acct.client_id, scout)).refresh_token;
    h.clock.advance(25 * HOUR);
    // The Worker falls back on the only other token it ever had: long out of grace.
    const w2 = await tokenRequest(h.sim, { grant_type: 'refresh_token', client_id: acct.client_id, refresh_token: acct.refresh_token });
    expect(w2.statusCode).toBe(401);
    expect(scout).toMatch(/^EU_/);
    const s = await (await h.sim.app.inject({ method: 'GET', url: '/sim/stats' })).json();
    expect(s.oauth.login_required).toBe(2);
    expect(s.oauth.refresh_ok).toBe(3);
  });

  it('concurrent refreshes of one token: with grace 0 exactly one wins', async () => {
    h = await harness({ refreshGraceSec: 0 });
    const acct = await createAccount(h.sim);
    const fields = { grant_type: 'refresh_token', client_id: acct.client_id, refresh_token: acct.refresh_token };
    const answers = await Promise.all(Array.from({ length: 5 }, () => tokenRequest(h!.sim, fields)));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 401, 401, 401, 401]);
  });

  it('rejects an unknown client, missing fields and unknown grants with Tesla-style errors', async () => {
    h = await harness();
    const acct = await createAccount(h.sim);
    const unknownClient = await tokenRequest(h.sim, { grant_type: 'refresh_token', client_id: 'nope', refresh_token: acct.refresh_token });
    expect(unknownClient.statusCode).toBe(400);
    expect(unknownClient.json().error).toBe('unauthorized_client');
    expect(unknownClient.json().error_description).toEqual(expect.any(String));
    const missing = await tokenRequest(h.sim, { grant_type: 'refresh_token', client_id: acct.client_id });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ error: 'invalid_request', error_description: 'missing refresh_token' });
    const noGrant = await tokenRequest(h.sim, { client_id: acct.client_id });
    expect(noGrant.json().error).toBe('invalid_request');
    const weird = await tokenRequest(h.sim, { grant_type: 'password', client_id: acct.client_id });
    expect(weird.statusCode).toBe(400);
    expect(weird.json().error).toBe('unsupported_grant_type');
    // The valid token was not spent by any of these.
    await refresh(h.sim, acct.client_id, acct.refresh_token);
    const s = await (await h.sim.app.inject({ method: 'GET', url: '/sim/stats' })).json();
    expect(s.oauth).toMatchObject({ requests: 5, unauthorized_client: 1, invalid_request: 2, unsupported_grant_type: 1, refresh_ok: 1 });
  });

  it('binds a refresh token to its client; accounts may share a client', async () => {
    h = await harness();
    const a = await createAccount(h.sim, { client_id: 'shared-app' });
    const b = await createAccount(h.sim, { client_id: 'shared-app' });
    const other = await createAccount(h.sim);
    const stolen = await tokenRequest(h.sim, { grant_type: 'refresh_token', client_id: other.client_id, refresh_token: a.refresh_token });
    expect(stolen.statusCode).toBe(401);
    await refresh(h.sim, 'shared-app', a.refresh_token);
    await refresh(h.sim, 'shared-app', b.refresh_token);
  });

  it('an unused refresh token expires after refreshTtlSec', async () => {
    h = await harness({ refreshTtlSec: 3600 });
    const acct = await createAccount(h.sim);
    h.clock.advance(3600_000);
    const res = await tokenRequest(h.sim, { grant_type: 'refresh_token', client_id: acct.client_id, refresh_token: acct.refresh_token });
    expect(res.statusCode).toBe(401);
  });
});

describe('grant_type=authorization_code', () => {
  it('exchanges an admin login code once and invalidates earlier refresh tokens', async () => {
    h = await harness();
    const acct = await createAccount(h.sim);
    const p1 = await refresh(h.sim, acct.client_id, acct.refresh_token);
    const login = await h.sim.app.inject({ method: 'POST', url: `/sim/accounts/${acct.account_id}/login`, payload: {} });
    expect(login.statusCode).toBe(201);
    const { code } = login.json();
    const fields = { grant_type: 'authorization_code', client_id: acct.client_id, code, client_secret: 'anything', redirect_uri: 'http://localhost/cb' };
    const ok = await tokenRequest(h.sim, fields);
    expect(ok.statusCode).toBe(200);
    const fresh = ok.json();
    expect(fresh.refresh_token).toMatch(/^EU_/);
    expect((await tokenRequest(h.sim, fields)).json().error).toBe('invalid_grant');
    for (const old of [acct.refresh_token, p1.refresh_token]) {
      const res = await tokenRequest(h.sim, { grant_type: 'refresh_token', client_id: acct.client_id, refresh_token: old });
      expect(res.statusCode).toBe(401);
    }
    await refresh(h.sim, acct.client_id, fresh.refresh_token);
    const view = (await h.sim.app.inject({ method: 'GET', url: `/sim/stats` })).json();
    expect(view.oauth.authorization_code_ok).toBe(1);
  });

  it('checks the PKCE verifier and the redirect_uri', async () => {
    h = await harness();
    const acct = await createAccount(h.sim);
    const verifier = 'a'.repeat(64);
    const { createHash } = await import('node:crypto');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const login = await h.sim.app.inject({
      method: 'POST',
      url: `/sim/accounts/${acct.account_id}/login`,
      payload: { code_challenge: challenge, code_challenge_method: 'S256', redirect_uri: 'http://localhost/cb' },
    });
    const { code } = login.json();
    const base = { grant_type: 'authorization_code', client_id: acct.client_id, code };
    const wrongVerifier = await tokenRequest(h.sim, { ...base, code_verifier: 'b'.repeat(64), redirect_uri: 'http://localhost/cb' });
    expect(wrongVerifier.json().error).toBe('invalid_grant');
    const wrongRedirect = await tokenRequest(h.sim, { ...base, code_verifier: verifier, redirect_uri: 'http://evil/cb' });
    expect(wrongRedirect.json().error).toBe('invalid_grant');
    const ok = await tokenRequest(h.sim, { ...base, code_verifier: verifier, redirect_uri: 'http://localhost/cb' });
    expect(ok.statusCode).toBe(200);
  });

  it('expires codes after 10 minutes of simulator time and checks a configured client secret', async () => {
    h = await harness();
    const acct = await createAccount(h.sim, { client_id: 'confidential', client_secret: 's3cret' });
    const code1 = (await h.sim.app.inject({ method: 'POST', url: `/sim/accounts/${acct.account_id}/login` })).json().code;
    const wrongSecret = await tokenRequest(h.sim, { grant_type: 'authorization_code', client_id: 'confidential', code: code1, client_secret: 'guess' });
    expect(wrongSecret.statusCode).toBe(401);
    h.clock.advance(10 * 60_000);
    const late = await tokenRequest(h.sim, { grant_type: 'authorization_code', client_id: 'confidential', code: code1, client_secret: 's3cret' });
    expect(late.json().error).toBe('invalid_grant');
    const code2 = (await h.sim.app.inject({ method: 'POST', url: `/sim/accounts/${acct.account_id}/login` })).json().code;
    const ok = await tokenRequest(h.sim, { grant_type: 'authorization_code', client_id: 'confidential', code: code2, client_secret: 's3cret' });
    expect(ok.statusCode).toBe(200);
    const view = (await h.sim.app.inject({ method: 'GET', url: `/sim/accounts/${acct.account_id}` })).json();
    expect(view.refresh.latest_sha256).toBe(sha256(ok.json().refresh_token));
  });
});
