import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TRACE_FIELD, traceBindings, traceIdOf } from '../../src/gcp/trace.js';
import { buildWorkerApp } from '../../src/worker/app.js';
import { sharedSecretAuth } from '../../src/worker/auth.js';
import { tokenWorld } from '../helpers/token-world.js';
import { captureLogger } from '../helpers/log-capture.js';

const TRACE = '105445aa7843bc8bf206b12000100000';
const SECRET = 'trace-test-shared-secret-0123456789';

describe('trace ids from request headers', () => {
  it.each([
    [{ 'x-cloud-trace-context': `${TRACE}/1;o=1` }, TRACE],
    [{ 'x-cloud-trace-context': TRACE.toUpperCase() }, TRACE],
    [{ traceparent: `00-${TRACE}-00f067aa0ba902b7-01` }, TRACE],
    [{ 'x-cloud-trace-context': 'not-hex/1', traceparent: `00-${TRACE}-00f067aa0ba902b7-01` }, TRACE],
    [{ 'x-cloud-trace-context': '"}\ninjected/1' }, null],
    [{ traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` }, null],
    [{}, null],
  ])('%j → %s', (headers, expected) => {
    expect(traceIdOf(headers)).toBe(expected);
  });

  it('needs the project to name the trace', () => {
    const headers = { 'x-cloud-trace-context': `${TRACE}/1;o=1` };
    expect(traceBindings(headers, 'home')).toEqual({ [TRACE_FIELD]: `projects/home/traces/${TRACE}` });
    expect(traceBindings(headers, undefined)).toEqual({});
  });
});

describe('Worker request logs carry the trace for Cloud Logging', () => {
  let world: Awaited<ReturnType<typeof tokenWorld>>;
  let app: FastifyInstance;
  let log: ReturnType<typeof captureLogger>;

  beforeEach(async () => {
    world = await tokenWorld();
    ({ log } = world);
    const { broker, store } = world;
    app = await buildWorkerApp({ broker, account: 'default', auth: sharedSecretAuth(SECRET), storeKind: store.kind, logger: log.logger, traceProject: 'home-proj' });
  });

  afterEach(async () => {
    await app.close();
    await world.close();
  });

  const parsed = () => log.lines().map((l) => JSON.parse(l) as Record<string, unknown>);

  it('a request with X-Cloud-Trace-Context logs token_shared with the trace and a severity; no token anywhere', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/get-token',
      headers: { authorization: `Bearer ${SECRET}`, 'x-cloud-trace-context': `${TRACE}/123;o=1` },
    });
    expect(res.statusCode).toBe(200);
    const accessToken = (res.json() as { access_token: string }).access_token;
    const shared = parsed().find((l) => l.event === 'token_shared');
    expect(shared).toMatchObject({ [TRACE_FIELD]: `projects/home-proj/traces/${TRACE}`, severity: 'INFO', message: expect.stringMatching(/^Tesla token shared with Scout/) });
    // The broker's own events (refresh_done) are structured too.
    expect(parsed().find((l) => l.event === 'refresh_done')).toMatchObject({ severity: 'INFO', account: 'default' });
    expect(log.text()).not.toContain(accessToken);
    expect(log.text()).not.toContain(SECRET);
  });

  it('a refused request with traceparent logs auth_refused with the trace', async () => {
    await app.inject({ method: 'GET', url: '/get-token', headers: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01`, authorization: 'Bearer wrong-secret-0123456789abc' } });
    expect(parsed().find((l) => l.event === 'auth_refused')).toMatchObject({ [TRACE_FIELD]: `projects/home-proj/traces/${TRACE}`, severity: 'WARNING' });
    expect(log.text()).not.toContain('wrong-secret-0123456789abc');
  });

  it('without a trace header no trace field is invented', async () => {
    await app.inject({ method: 'GET', url: '/get-token', headers: { authorization: `Bearer ${SECRET}` } });
    expect(parsed().find((l) => l.event === 'token_shared')).not.toHaveProperty(TRACE_FIELD);
  });
});
