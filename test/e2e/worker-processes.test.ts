import { afterEach, describe, expect, it } from 'vitest';
import { importRefreshToken } from '../../src/cli/tokens.js';
import { sleep } from '../../src/core/clock.js';
import { installation, WORKER_SECRET } from '../helpers/installation.js';
import { sha256 } from '../helpers/temp.js';

type Installation = Awaited<ReturnType<typeof installation>>;
const AUTH = { authorization: `Bearer ${WORKER_SECRET}` };

async function getToken(url: string) {
  const res = await fetch(new URL('/get-token', url), { headers: AUTH });
  return { status: res.status, body: (await res.json()) as { access_token?: string; error?: string } };
}

async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

describe('Worker processes sharing one file store', () => {
  let inst: Installation | undefined;
  afterEach(async () => {
    await inst?.close();
    inst = undefined;
  });

  it('two processes racing for one refresh: exactly one refresh reaches the simulator', async () => {
    inst = await installation();
    await importRefreshToken(inst.store, 'default', inst.account.refresh_token);
    // Both start at once; both find a token without an access token and want to refresh immediately.
    const [a, b] = await Promise.all([inst.startWorker(), inst.startWorker()]);
    const [ta, tb] = await Promise.all([getToken(a.url), getToken(b.url)]);
    expect(ta.status).toBe(200);
    expect(tb.status).toBe(200);
    expect(ta.body.access_token).toBe(tb.body.access_token);
    const stats = await inst.stats();
    expect(stats.oauth.refresh_ok).toBe(1);
    expect(stats.oauth.login_required).toBe(0);
  });

  it('a Worker killed with SIGKILL after Tesla rotated but before it saved: the restarted Worker recovers by the grace rule', async () => {
    inst = await installation({ refreshGraceSec: 86_400 });
    await importRefreshToken(inst.store, 'default', inst.account.refresh_token);
    // Tesla rotates, then holds its answer: the Worker is killed while it waits for the new tokens.
    await inst.admin('POST', '/sim/faults', { target: 'oauth', kind: 'latency', latency_ms: 10_000, count: 1 });
    const first = await inst.startWorker({ TOKEN_LEASE_TTL_SEC: '2' });
    await waitUntil('the simulator rotated the tokens', async () => (await inst!.stats()).oauth.refresh_ok === 1);
    await first.proc.kill('SIGKILL');
    const before = await inst.store.get('default');
    expect(await sha256(before!.tokens.refreshToken)).not.toBe((await inst.refreshState()).refresh.latest_sha256);

    const second = await inst.startWorker({ TOKEN_LEASE_TTL_SEC: '2' });
    await waitUntil('the restarted Worker serves a token', async () => (await getToken(second.url)).status === 200);
    const health = await (await fetch(new URL('/health', second.url))).json();
    expect(health).toMatchObject({ status: 'ok', tokens: { state: 'ok' } });
    const stats = await inst.stats();
    expect(stats.oauth.login_required).toBe(0);
    expect(stats.oauth.refresh_ok).toBe(2);
    const after = await inst.store.get('default');
    expect(after!.status).toBe('ok');
    expect(await sha256(after!.tokens.refreshToken)).toBe((await inst.refreshState()).refresh.latest_sha256);
  });

  it('without a grace period the same crash ends in reauth_required, reported and not retried', async () => {
    // The honest other side of the previous test: Tesla's grace rule is what makes the crash survivable.
    inst = await installation({ refreshGraceSec: 0 });
    await importRefreshToken(inst.store, 'default', inst.account.refresh_token);
    await inst.admin('POST', '/sim/faults', { target: 'oauth', kind: 'latency', latency_ms: 10_000, count: 1 });
    const first = await inst.startWorker({ TOKEN_LEASE_TTL_SEC: '2' });
    await waitUntil('the simulator rotated the tokens', async () => (await inst!.stats()).oauth.refresh_ok === 1);
    await first.proc.kill('SIGKILL');
    const second = await inst.startWorker({ TOKEN_LEASE_TTL_SEC: '2' });
    await waitUntil('the Worker reports reauth_required', async () => (await fetch(new URL('/health', second.url))).status === 503);
    const requests = (await inst.stats()).oauth.requests;
    for (let i = 0; i < 5; i++) expect((await getToken(second.url)).body.error).toBe('reauth_required');
    expect((await inst.stats()).oauth.requests).toBe(requests);
    expect(second.proc.output()).toContain('REAUTH REQUIRED');
  });
});
