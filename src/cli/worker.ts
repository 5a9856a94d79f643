import type { Command } from 'commander';
import { createBroker, openStore, teslaEndpoints, workerAuth } from '../compose.js';
import { startWorker } from '../worker/main.js';
import { listenHost, untilSignal, withEnv } from './common.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run the Worker: the only owner of the Tesla tokens, serving them on GET /get-token (port from PORT)')
    .action(() =>
      withEnv('worker', async (env, log) => {
        const tesla = teslaEndpoints(env);
        const auth = workerAuth(env);
        const store = await openStore(env, log);
        const broker = createBroker({ store, tesla, logger: log, leaseTtlSec: env.TOKEN_LEASE_TTL_SEC });
        const worker = await startWorker({ broker, store, auth, account: env.OFFPEAK_ACCOUNT, logger: log, port: env.PORT, host: listenHost(env) });
        const signal = await untilSignal();
        log.info({ event: 'worker_stopping', signal }, 'Worker stopping');
        await worker.close();
        await store.close();
      }),
    );
}
