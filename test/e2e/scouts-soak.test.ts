import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { importRefreshToken } from '../../src/cli/tokens.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { runScoutTick } from '../../src/scout/tick.js';
import { bearerSecret, WorkerClient } from '../../src/scout/worker-client.js';
import { FleetClient } from '../../src/tesla/fleet.js';
import { installation, WORKER_SECRET } from '../helpers/installation.js';

const ACCESS_TTL_SEC = 2;
const LIFETIMES = 20;
const SCOUTS = 10;

describe('a Worker and 10 concurrent Scouts, refresh grace 0', () => {
  let inst: Awaited<ReturnType<typeof installation>> | undefined;
  afterEach(async () => {
    await inst?.close();
  });

  it(`over ${LIFETIMES}+ token lifetimes: no login_required, never an expired token served`, async () => {
    inst = await installation({ accessTtlSec: ACCESS_TTL_SEC, refreshGraceSec: 0 });
    await importRefreshToken(inst.store, 'default', inst.account.refresh_token);
    const worker = await inst.startWorker();

    const served: Array<{ receivedAt: number; exp: number }> = [];
    const results: Array<{ ok: boolean; source: string | null; skipped: string | null }> = [];
    const deadline = Date.now() + (LIFETIMES + 1) * ACCESS_TTL_SEC * 1000;
    // Each Scout records every token the Worker serves it (time of receipt and the token's own expiry).
    const recordingFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const res = await fetch(input, init);
      if (res.ok && String(input).includes('token')) {
        const body = (await res.clone().json()) as { access_token: string };
        served.push({ receivedAt: Date.now(), exp: decodeJwt(body.access_token).exp! * 1000 });
      }
      return res;
    }) as typeof fetch;

    const scout = async () => {
      const deps = {
        worker: new WorkerClient({ baseUrl: worker.url, auth: bearerSecret(WORKER_SECRET), fetch: recordingFetch }),
        fleet: new FleetClient({ apiUrl: inst!.simUrl }),
        store: null,
        account: 'default',
        clock: systemClock,
        log: silentLogger,
      };
      while (Date.now() < deadline) {
        const result = await runScoutTick(deps);
        results.push({ ok: result.ok, source: result.tokenSource, skipped: result.skipped });
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
      }
    };
    await Promise.all(Array.from({ length: SCOUTS }, scout));

    const stats = await inst.stats();
    expect(stats.oauth.login_required).toBe(0);
    expect(stats.oauth.refresh_ok).toBeGreaterThanOrEqual(LIFETIMES);
    expect(served.length).toBeGreaterThan(LIFETIMES * SCOUTS);
    const expired = served.filter((s) => s.exp <= s.receivedAt);
    expect(expired).toEqual([]);
    const failed = results.filter((r) => !r.ok);
    expect(failed).toEqual([]);
    // The Scouts spent nothing but free vehicle-list calls.
    expect(stats.billing.data.count + stats.billing.wake.count + stats.billing.command.count).toBe(0);
    // No token of the run is in the Worker's log or in clear on disk.
    const record = await inst.store.get('default');
    const log = worker.proc.output();
    expect(log).toContain('Tesla token shared with Scout');
    for (const secret of [inst.account.refresh_token, record!.tokens.refreshToken, record!.tokens.accessToken!]) {
      expect(log).not.toContain(secret);
      expect(await inst.filesText()).not.toContain(secret);
    }
  }, 120_000);
});
