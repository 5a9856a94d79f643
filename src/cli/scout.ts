import type { Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { ConfigError, TESLA_DEFAULTS, type Env } from '../config.js';
import type { Logger } from '../core/log.js';
import { runScoutTick } from '../scout/tick.js';
import { bearerSecret, WorkerClient } from '../scout/worker-client.js';
import { FleetClient } from '../tesla/fleet.js';
import type { TokenStore } from '../tokens/store.js';
import { withEnv } from './common.js';

export function registerScoutCommand(program: Command): void {
  program
    .command('scout')
    .description('run one Scout tick: take a token from the Worker (with fallbacks), look at the vehicles without waking them')
    .action(() =>
      withEnv('scout', async (env, log) => {
        if (!env.WORKER_SERVICE_URL) throw new ConfigError('WORKER_SERVICE_URL is not set: the Scout takes its Tesla token from the Worker at that URL');
        if (!env.WORKER_SHARED_SECRET) throw new ConfigError('WORKER_SHARED_SECRET is not set: the Scout authenticates to the Worker with it');
        const worker = new WorkerClient({ baseUrl: env.WORKER_SERVICE_URL, auth: bearerSecret(env.WORKER_SHARED_SECRET) });
        const store = lazyFallbackStore(env, log);
        const fleet = new FleetClient({ apiUrl: env.TESLA_API_URL ?? TESLA_DEFAULTS.apiUrl });
        const result = await runScoutTick({ worker, fleet, store, account: env.OFFPEAK_ACCOUNT, clock: systemClock, log });
        await store.close();
        process.exitCode = result.ok ? 0 : 1;
      }),
    );
}

/**
 * The store is only the Scout's fallback: it is opened (and its code loaded) the first time it is read, so a
 * normal tick that gets its token from the Worker starts fast and never touches the store.
 */
function lazyFallbackStore(env: Env, log: Logger): Pick<TokenStore, 'get' | 'close'> {
  let opened: Promise<TokenStore | null> | undefined;
  const open = () =>
    (opened ??= import('../compose.js').then(({ openFallbackStore }) => openFallbackStore(env, log)));
  return {
    async get(account) {
      const store = await open();
      if (!store) throw new Error('no token store configured for this Scout (TOKEN_STORE) and no local default store');
      return store.get(account);
    },
    async close() {
      if (opened) await (await opened.catch(() => null))?.close();
    },
  };
}
