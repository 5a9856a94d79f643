import type { Command } from 'commander';
import { createBroker, openStore, teslaEndpoints, workerAuth } from '../compose.js';
import { withResolvedSecrets } from '../gcp/env.js';
import { chargingService } from '../charging/from-env.js';
import { systemClock } from '../core/clock.js';
import { FleetClient } from '../tesla/fleet.js';
import { startWorker } from '../worker/main.js';
import { listenHost, untilSignal, withEnv } from './common.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run the Worker: the only owner of the Tesla tokens, serving them on GET /get-token (port from PORT)')
    .action(() =>
      withEnv('worker', async (parsed, log) => {
        const env = await withResolvedSecrets(parsed, log);
        const tesla = teslaEndpoints(env);
        const auth = workerAuth(env, log);
        const store = await openStore(env, log);
        const broker = createBroker({ store, tesla, logger: log, leaseTtlSec: env.TOKEN_LEASE_TTL_SEC });
        // Commands go through the signing proxy when one is configured (cars since 2021 reject unsigned commands).
        const fleet = new FleetClient({ apiUrl: tesla.apiUrl, ...(env.TESLA_COMMAND_PROXY_URL && { commandProxyUrl: env.TESLA_COMMAND_PROXY_URL }) });
        const charging = await chargingService({ env, fleet, broker, store, log, clock: systemClock, holder: broker.holderId });
        const worker = await startWorker({ broker, store, auth, charging, account: env.OFFPEAK_ACCOUNT, logger: log, port: env.PORT, host: listenHost(env) });
        const signal = await untilSignal();
        log.info({ event: 'worker_stopping', signal }, 'Worker stopping');
        await worker.close();
        await store.close();
      }),
    );
}
