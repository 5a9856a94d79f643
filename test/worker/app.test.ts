import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { buildWorkerApp } from '../../src/worker/app.js';
import { MAX_CREDENTIAL_LENGTH, sharedSecretAuth } from '../../src/worker/auth.js';
import { captureLogger } from '../helpers/log-capture.js';
import { tokenWorld } from '../helpers/token-world.js';

const SECRET = 'worker-secret-for-tests-0123456789';
const AUTH = { authorization: `Bearer ${SECRET}` };
const HOUR = 3600_000;

describe('Worker HTTP API', () => {
  let clock: ManualClock;
  let world: Awaited<ReturnType<typeof tokenWorld>>;
  let sim: typeof world.sim;
  let store: typeof world.store;
  let app: FastifyInstance;
  let log: ReturnType<typeof captureLogger>;

  beforeEach(async () => {
    clock = new ManualClock(Date.parse('2026-06-01T08:00:00Z'));
    world = await tokenWorld({ clock });
    ({ sim, store, log } = world);
    app = await buildWorkerApp({ broker: world.broker, account: 'default', auth: sharedSecretAuth(SECRET), storeKind: store.kind, clock, logger: log.logger });
  });

  afterEach(async () => {
    await app.close();
    await world.close();
  });

  describe('authentication', () => {
    const refused: Array<[string, Record<string, string>]> = [
      ['missing', {}],
      ['empty', { authorization: '' }],
      ['empty bearer', { authorization: 'Bearer ' }],
      ['wrong', { authorization: 'Bearer not-the-right-secret-at-all' }],
      ['secret with a suffix', { authorization: `Bearer ${SECRET}x` }],
      ['secret prefix', { authorization: `Bearer ${SECRET.slice(0, -1)}` }],
      ['wrong scheme', { authorization: `Basic ${SECRET}` }],
      ['oversized', { authorization: `Bearer ${'a'.repeat(MAX_CREDENTIAL_LENGTH + 10)}` }],
    ];
    for (const route of [
      ['GET', '/get-token'],
      ['GET', '/worker-status'],
      ['POST', '/refresh-tokens'],
      ['POST', '/run-cycle'],
    ] as const) {
      it.each(refused)(`${route[0]} ${route[1]} with %s credentials → 401 JSON`, async (_name, headers) => {
        const res = await app.inject({ method: route[0], url: route[1], headers });
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({ error: 'unauthorized', message: expect.any(String) });
        expect(res.headers['www-authenticate']).toBe('Bearer');
      });
    }

    it('refusals cause no Tesla call and leak nothing', async () => {
      await app.inject({ method: 'GET', url: '/get-token', headers: { authorization: 'Bearer guess-guess-guess' } });
      expect((await sim.stats()).oauth.requests).toBe(0);
      expect(log.text()).not.toContain('guess-guess-guess');
      expect(log.text()).not.toContain(SECRET);
    });

    it('a secret shorter than 16 characters is refused at start-up', () => {
      expect(() => sharedSecretAuth('short')).toThrow(/at least 16/);
    });
  });

  describe('GET /get-token', () => {
    it('answers the token with expiry and the same token on repeated calls', async () => {
      const first = await app.inject({ method: 'GET', url: '/get-token', headers: AUTH });
      expect(first.statusCode).toBe(200);
      const body = first.json();
      expect(body).toMatchObject({ token_type: 'Bearer', remaining_minutes: 480 });
      expect(body.access_token.split('.')).toHaveLength(3);
      expect(Date.parse(body.expires_at)).toBe(clock.now() + 8 * HOUR);
      expect(first.headers['cache-control']).toBe('no-store');
      clock.advance(2 * HOUR);
      const again = (await app.inject({ method: 'GET', url: '/get-token', headers: AUTH })).json();
      expect(again.access_token).toBe(body.access_token);
      expect(again.remaining_minutes).toBe(360);
      expect((await sim.stats()).oauth.refresh_ok).toBe(1);
      expect(log.text()).toContain('Tesla token shared with Scout (360 min left)');
      expect(log.text()).not.toContain(body.access_token);
    });
  });

  it('logs one "token shared" line per second and summarises a burst', async () => {
    for (let i = 0; i < 5; i++) await app.inject({ method: 'GET', url: '/get-token', headers: AUTH });
    const shared = () => log.lines().filter((l) => l.includes('"event":"token_shared"'));
    expect(shared()).toHaveLength(1);
    clock.advance(1000);
    await app.inject({ method: 'GET', url: '/get-token', headers: AUTH });
    expect(shared()).toHaveLength(2);
    expect(JSON.parse(shared()[1]!)).toMatchObject({ shares: 5, message: expect.stringContaining('×5 since the last line') });
  });

  describe('bad input', () => {
    it('malformed JSON → 400 malformed_json', async () => {
      const res = await app.inject({ method: 'POST', url: '/refresh-tokens', headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{"force": tru' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'malformed_json', message: expect.any(String) });
    });

    it('wrong types → 400 invalid_request naming the field', async () => {
      const res = await app.inject({ method: 'POST', url: '/refresh-tokens', headers: AUTH, payload: { force: 'yes' } });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('invalid_request');
      expect(res.json().message).toMatch(/force/);
    });

    it('unknown fields → 400', async () => {
      const res = await app.inject({ method: 'POST', url: '/refresh-tokens', headers: AUTH, payload: { force: false, extra: 1 } });
      expect(res.statusCode).toBe(400);
    });

    it('a huge body → 413 body_too_large', async () => {
      const res = await app.inject({ method: 'POST', url: '/refresh-tokens', headers: AUTH, payload: { reason: 'x'.repeat(100_000) } });
      expect(res.statusCode).toBe(413);
      expect(res.json().error).toBe('body_too_large');
    });

    it('a non-JSON content type → 415', async () => {
      const res = await app.inject({ method: 'POST', url: '/refresh-tokens', headers: { ...AUTH, 'content-type': 'text/plain' }, payload: 'force' });
      expect(res.statusCode).toBe(415);
      expect(res.json().error).toBe('unsupported_media_type');
    });

    it('unknown routes and wrong methods → 404 JSON; no GET changes state', async () => {
      const res = await app.inject({ method: 'GET', url: '/refresh-tokens', headers: AUTH });
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toBe('not_found');
      expect((await app.inject({ method: 'GET', url: '/run-cycle', headers: AUTH })).statusCode).toBe(404);
      expect((await sim.stats()).oauth.requests).toBe(0);
    });

    it('POST /run-cycle without a home location says plainly that charging is not configured', async () => {
      const res = await app.inject({ method: 'POST', url: '/run-cycle', headers: AUTH, payload: {} });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toBe('charging_not_configured');
    });
  });

  describe('POST /refresh-tokens', () => {
    it('refreshes only when needed, and always when forced (rate-limited)', async () => {
      const first = (await app.inject({ method: 'POST', url: '/refresh-tokens', headers: AUTH })).json();
      expect(first.refreshed).toBe(true);
      const second = (await app.inject({ method: 'POST', url: '/refresh-tokens', headers: AUTH, payload: {} })).json();
      expect(second).toMatchObject({ refreshed: false, access_token: first.access_token });
      clock.advance(5 * 60_000);
      const forced = (await app.inject({ method: 'POST', url: '/refresh-tokens', headers: AUTH, payload: { force: true, reason: 'test' } })).json();
      expect(forced.refreshed).toBe(true);
      expect(forced.access_token).not.toBe(first.access_token);
      expect((await sim.stats()).oauth.refresh_ok).toBe(2);
    });
  });

  describe('health and status', () => {
    it('/health is open and reports the token state without secrets', async () => {
      const before = await app.inject({ method: 'GET', url: '/health' });
      expect(before.statusCode).toBe(200);
      expect(before.json().tokens.state).toBe('expired'); // imported refresh token, no access token yet
      const token = (await app.inject({ method: 'GET', url: '/get-token', headers: AUTH })).json().access_token as string;
      const ok = await app.inject({ method: 'GET', url: '/health' });
      expect(ok.json()).toMatchObject({ status: 'ok', tokens: { state: 'ok', remaining_minutes: 480 } });
      clock.advance(6.5 * HOUR);
      expect((await app.inject({ method: 'GET', url: '/health' })).json().tokens.state).toBe('expiring');
      expect(ok.body).not.toContain(token);
      const status = await app.inject({ method: 'GET', url: '/worker-status', headers: AUTH });
      expect(status.statusCode).toBe(200);
      expect(status.json()).toMatchObject({ store: 'file', auth_mode: 'shared-secret', tokens: { account: 'default', storeVersion: 2 } });
      expect(status.body).not.toContain(token);
      expect(status.body).not.toContain((await store.get('default'))!.tokens.refreshToken);
    });

    it('/health → 503 when the tokens need a new login', async () => {
      const record = await store.get('default');
      await store.put('default', { tokens: record!.tokens, status: 'reauth_required', statusReason: 'test' }, record!.version);
      const res = await app.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'unavailable', tokens: { state: 'reauth_required' } });
      const token = await app.inject({ method: 'GET', url: '/get-token', headers: AUTH });
      expect(token.statusCode).toBe(503);
      expect(token.json().error).toBe('reauth_required');
    });
  });
});
