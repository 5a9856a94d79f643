import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSimulator, type SimOptions, type Simulator } from '../../src/sim/index.js';
import { FileTokenStore } from '../../src/tokens/file-store.js';
import type { SimAccount, SimStats } from './sim.js';
import { spawnCli, type CliProcess } from './processes.js';
import { tempDir } from './temp.js';

export const WORKER_SECRET = 'e2e-shared-secret-0123456789abcdef';

/**
 * A whole installation for process-level tests: the simulator listening on loopback, one account, an
 * encrypted file store in a temp dir, and helpers to start Worker processes of the real CLI against them.
 */
export async function installation(simOptions: SimOptions = {}) {
  const sim: Simulator = await buildSimulator(simOptions);
  const simUrl = await sim.listen(0, '127.0.0.1');
  const dir = await tempDir('offpeak-e2e-');
  const key = randomBytes(32);
  const storePath = join(dir.path, 'store.json');
  const store = new FileTokenStore({ path: storePath, key });
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(new URL(path, simUrl), {
      method,
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`sim ${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const account = await admin<SimAccount>('POST', '/sim/accounts', { vehicles: 1 });
  const processes: CliProcess[] = [];

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    TESLA_AUTH_URL: simUrl,
    TESLA_API_URL: simUrl,
    TESLA_CLIENT_ID: account.client_id,
    TOKEN_STORE: `file:${storePath}`,
    TOKEN_ENCRYPTION_KEY: key.toString('base64'),
    WORKER_SHARED_SECRET: WORKER_SECRET,
    PORT: '0',
    ...extra,
  });

  return {
    sim,
    simUrl,
    dir: dir.path,
    store,
    account,
    env,
    admin,
    stats: () => admin<SimStats>('GET', '/sim/stats'),
    refreshState: () => admin<{ refresh: { latest_sha256: string } }>('GET', `/sim/accounts/${account.account_id}`),
    /** Runs an `offpeak` command to completion. */
    async cli(args: string[], extraEnv: Record<string, string> = {}, stdin?: string) {
      const proc = spawnCli(args, env(extraEnv), stdin === undefined ? {} : { stdin });
      const code = await proc.exited;
      return { code, output: proc.output() };
    },
    /** Starts `offpeak worker` and resolves once it listens, with its URL. */
    async startWorker(extraEnv: Record<string, string> = {}) {
      const proc = spawnCli(['worker'], env(extraEnv));
      processes.push(proc);
      const match = await proc.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)"/, 20_000);
      return { proc, url: match[1]! };
    },
    /** Every file the installation wrote, as text, to check that no token is in clear. */
    async filesText(): Promise<string> {
      const names = await readdir(dir.path);
      return (await Promise.all(names.map((n) => readFile(join(dir.path, n), 'latin1').catch(() => '')))).join('\n');
    },
    async close() {
      await Promise.all(processes.map((p) => p.kill('SIGKILL')));
      await store.close();
      await sim.close();
      await dir.cleanup();
    },
  };
}
