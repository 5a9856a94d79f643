import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { TRACE_FIELD } from '../../src/gcp/trace.js';
import { buildWorkerApp } from '../../src/worker/app.js';
import { sharedSecretAuth, type CallerAuth } from '../../src/worker/auth.js';
import { tokenFastPath } from '../../src/worker/fast-path.js';
import { ShareLog, TokenAnswerBytes } from '../../src/worker/token-answer.js';
import { tokenWorld } from '../helpers/token-world.js';

const SECRET = 'worker-secret-for-tests-0123456789';
const AUTH = { authorization: `Bearer ${SECRET}` };
const HOUR = 3600_000;

/**
 * GET /get-token's fast path (src/worker/fast-path.ts) runs in front of Fastify, so inject() never reaches it:
 * these tests talk to a listening Worker over loopback. The route's own calls to the broker tell which path
 * answered: the fast path only peeks at the broker's cache.
 */
describe('GET /get-token fast path', () => {
  let clock: ManualClock;
  let world: Awaited<ReturnType<typeof tokenWorld>>;
  let app: FastifyInstance;
  let url: string;
  let routeCalls: ReturnType<typeof vi.spyOn>;

  async function listen(auth: CallerAuth = sharedSecretAuth(SECRET), traceProject?: string): Promise<void> {
    app = await buildWorkerApp({ broker: world.broker, account: 'default', auth, storeKind: world.store.kind, clock, logger: world.log.logger, ...(traceProject && { traceProject }) });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  }

  const shared = () => world.log.lines().filter((l) => l.includes('"event":"token_shared"'));
  const get = (path = '/get-token', headers: Record<string, string> = AUTH) => fetch(`${url}${path}`, { headers });
  const token = async (): Promise<{ access_token: string; remaining_minutes: number }> => (await get()).json() as never;

  beforeEach(async () => {
    clock = new ManualClock(Date.parse('2026-06-01T08:00:00Z'));
    world = await tokenWorld({ clock });
    routeCalls = vi.spyOn(world.broker, 'getAccessToken');
  });

  afterEach(async () => {
    await app?.close();
    await world.close();
  });

  it('answers from the broker cache with the same bytes and headers as the route', async () => {
    await listen();
    const first = await get(); // fills the cache through the route
    const firstBody = await first.text();
    expect(routeCalls).toHaveBeenCalledTimes(1);

    for (let i = 0; i < 20; i++) {
      const res = await get();
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(firstBody);
      expect(res.headers.get('content-type')).toBe(first.headers.get('content-type'));
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(firstBody)));
    }
    expect(routeCalls).toHaveBeenCalledTimes(1);

    // The route's answer through inject(), which bypasses the fast path, is the same.
    const viaRoute = await app.inject({ method: 'GET', url: '/get-token', headers: AUTH });
    expect(viaRoute.body).toBe(firstBody);
    expect(viaRoute.headers['content-type']).toBe(first.headers.get('content-type'));
    expect(JSON.parse(firstBody)).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_at: new Date(clock.now() + 8 * HOUR).toISOString(),
      remaining_minutes: 480,
    });
  });

  it('leaves refusals to the route: 401 JSON, the refusal logged, the secret nowhere', async () => {
    await listen();
    await get(); // a cached token must not let anyone past
    const refused: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong-wrong-wrong-wrong' }, { authorization: `Bearer ${SECRET}x` }];
    for (const headers of refused) {
      const res = await get('/get-token', headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toMatchObject({ error: 'unauthorized' });
    }
    expect(world.log.lines().filter((l) => l.includes('"event":"auth_refused"'))).toHaveLength(3);
    expect(world.log.text()).not.toContain(SECRET);
  });

  it('hands the request to the route when the cached store read has lapsed', async () => {
    await listen();
    await get();
    clock.advance(999);
    await get();
    expect(routeCalls).toHaveBeenCalledTimes(1);
    clock.advance(1);
    await get();
    expect(routeCalls).toHaveBeenCalledTimes(2);
  });

  it('never serves a token that is due: the route refreshes it', async () => {
    await listen();
    const before = (await token()).access_token;
    clock.advance(6 * HOUR); // 75 % of the 8 h life
    const after = await token();
    expect(after.access_token).not.toBe(before);
    expect(after.remaining_minutes).toBe(480);
    expect((await world.sim.stats()).oauth.refresh_ok).toBe(2);
  });

  it('leaves HEAD, query strings and other paths to Fastify', async () => {
    await listen();
    await get();
    expect((await get('/get-token?x=1')).status).toBe(200);
    expect((await fetch(`${url}/get-token`, { method: 'HEAD', headers: AUTH })).status).toBe(200);
    expect(routeCalls).toHaveBeenCalledTimes(3);
    expect((await get('/get-token/')).status).toBe(404);
  });

  it('is off for caller checks that need I/O (Google ID tokens): the route answers every request', async () => {
    const asyncOnly: CallerAuth = { mode: 'test-async', authenticate: async (h) => (h === AUTH.authorization ? 'async-caller' : null) };
    await listen(asyncOnly);
    for (let i = 0; i < 3; i++) expect((await get()).status).toBe(200);
    expect(routeCalls).toHaveBeenCalledTimes(3);
  });

  it('counts its answers in the "token shared" log line, one line per second', async () => {
    await listen();
    for (let i = 0; i < 5; i++) await get();
    expect(shared()).toHaveLength(1);
    clock.advance(1000);
    await get();
    expect(shared()).toHaveLength(2);
    expect(JSON.parse(shared()[1]!)).toMatchObject({ shares: 5, caller: 'shared-secret', remainingMinutes: 479 });
    expect(world.log.text()).not.toContain((await token()).access_token);
  });

  it('writes its "token shared" line under the caller\'s trace, as the route does', async () => {
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    await listen(sharedSecretAuth(SECRET), 'my-project');
    await get();
    clock.advance(1000);
    await world.broker.status('default'); // a fresh store read: the next request takes the fast path, and a line is due
    await get('/get-token', { ...AUTH, 'x-cloud-trace-context': `${trace}/1;o=1` });
    expect(routeCalls).toHaveBeenCalledTimes(1);
    expect(JSON.parse(shared().at(-1)!)).toMatchObject({ [TRACE_FIELD]: `projects/my-project/traces/${trace}`, shares: 1 });
  });
});

describe('tokenFastPath decisions', () => {
  const token = { accessToken: 'tok', expiresAt: Date.parse('2026-06-01T16:00:00Z') };
  const clock = new ManualClock(Date.parse('2026-06-01T08:00:00Z'));
  const log = { info: vi.fn(), child: () => log } as unknown as FastifyBaseLogger;

  function fastPath(options: { closing?: boolean; token?: typeof token | null } = {}) {
    return tokenFastPath({
      auth: sharedSecretAuth(SECRET),
      broker: { peekAccessToken: () => (options.token === undefined ? token : options.token) } as never,
      account: 'default',
      answers: new TokenAnswerBytes(),
      shares: new ShareLog('default'),
      log,
      clock,
      traceProject: undefined,
      isClosing: () => options.closing ?? false,
    })!;
  }

  const request = (method: string, url: string, headers: Record<string, string> = AUTH) => ({ method, url, headers }) as IncomingMessage;
  const response = () => ({ writeHead: vi.fn(), end: vi.fn() }) as unknown as ServerResponse & { writeHead: ReturnType<typeof vi.fn> };

  it('answers only an authenticated GET /get-token with a token in hand, while not shutting down', () => {
    const res = response();
    expect(fastPath()(request('GET', '/get-token'), res)).toBe(true);
    expect(res.writeHead).toHaveBeenCalledWith(200, expect.objectContaining({ 'cache-control': 'no-store' }));

    const declined: Array<[string, boolean]> = [
      ['while closing', fastPath({ closing: true })(request('GET', '/get-token'), response())],
      ['without a cached token', fastPath({ token: null })(request('GET', '/get-token'), response())],
      ['a POST', fastPath()(request('POST', '/get-token'), response())],
      ['another path', fastPath()(request('GET', '/worker-status'), response())],
      ['without credentials', fastPath()(request('GET', '/get-token', {}), response())],
    ];
    for (const [name, answered] of declined) expect(answered, name).toBe(false);
  });
});
