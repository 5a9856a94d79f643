import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { createBroker, createFleet, localSharedSecret, openStore, teslaEndpoints, type TeslaEndpoints } from '../compose.js';
import type { Env } from '../config.js';
import { systemClock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { Cron } from 'croner';
import { chargingService } from '../charging/from-env.js';
import { DEFAULT_SCOUT_CONFIG } from '../charging/scout-machine.js';
import { runScoutTick } from '../scout/tick.js';
import { FleetClient } from '../tesla/fleet.js';
import { bearerSecret, WorkerClient } from '../scout/worker-client.js';
import { sharedSecretAuth } from '../worker/auth.js';
import { startWorker } from '../worker/main.js';
import { listenHost, untilSignal, withEnv } from './common.js';
import { importRefreshToken } from './tokens.js';

/** Where the simulated installation keeps its store: apart from real tokens, and reset at every start. */
const SIMULATED_STORE = 'file:.offpeak/simulated/store.json';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run everything in one process: the Worker, the Scout every SCOUT_INTERVAL_MIN minutes, and the simulator when no Tesla credentials are configured')
    .action(() => withEnv('offpeak', (env, log) => run(env, log)));
}

async function run(env: Env, log: Logger): Promise<void> {
  const closers: Array<() => Promise<void>> = [];
  const simulated = !env.TESLA_CLIENT_ID;
  let tesla: TeslaEndpoints;
  let runEnv = env;
  let simulatedRefreshToken: string | null = null;
  let simulatedHome: { lat: number; lon: number } | undefined;

  if (simulated) {
    const { buildSimulator } = await import('../sim/index.js');
    const sim = await buildSimulator({ logger: log.child({ component: 'sim' }) });
    const simUrl = await sim.listen(Number(process.env.SIM_PORT ?? 0), '127.0.0.1');
    closers.push(() => sim.close());
    const res = await fetch(new URL('/sim/accounts', simUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ vehicles: [{ display_name: 'Simulated Model 3' }] }),
    });
    const account = (await res.json()) as { client_id: string; refresh_token: string };
    tesla = { authUrl: simUrl, apiUrl: simUrl, clientId: account.client_id };
    simulatedRefreshToken = account.refresh_token;
    // The simulated car lives at the simulator's home unless HOME_LATITUDE / HOME_LONGITUDE say otherwise.
    const { DEFAULT_HOME } = await import('../sim/vehicles.js');
    simulatedHome = { lat: DEFAULT_HOME.latitude, lon: DEFAULT_HOME.longitude };
    runEnv = { ...env, TOKEN_STORE: env.TOKEN_STORE ?? SIMULATED_STORE };
    log.warn(
      { event: 'simulated', simulator: simUrl },
      `SIMULATED CAR: no TESLA_CLIENT_ID is configured, so offpeak talks to its built-in Tesla simulator at ${simUrl}. Nothing reaches Tesla.`,
    );
  } else {
    tesla = teslaEndpoints(env);
  }

  const store = await openStore(runEnv, log);
  closers.push(() => store.close());
  if (simulatedRefreshToken) await importRefreshToken(store, env.OFFPEAK_ACCOUNT, simulatedRefreshToken);

  const storePath = (runEnv.TOKEN_STORE ?? '').startsWith('file:') ? resolve(runEnv.TOKEN_STORE!.slice(5)) : resolve('.offpeak/store.json');
  const secret = await localSharedSecret(env, dirname(storePath), log);
  const broker = createBroker({ store, tesla, logger: log.child({ component: 'worker' }), leaseTtlSec: env.TOKEN_LEASE_TTL_SEC });
  const workerLog = log.child({ component: 'worker' });
  // Commands go through the signing proxy when one is configured (cars since 2021 reject unsigned commands).
  const workerFleet = new FleetClient({ apiUrl: tesla.apiUrl, ...(env.TESLA_COMMAND_PROXY_URL && { commandProxyUrl: env.TESLA_COMMAND_PROXY_URL }) });
  const charging = await chargingService({ env, fleet: workerFleet, broker, store, log: workerLog, clock: systemClock, holder: broker.holderId, ...(simulatedHome && { fallbackHome: simulatedHome }) });
  const worker = await startWorker({
    charging,
    broker,
    store,
    auth: sharedSecretAuth(secret),
    account: env.OFFPEAK_ACCOUNT,
    logger: log.child({ component: 'worker' }),
    port: env.PORT,
    host: listenHost(env),
  });
  closers.unshift(() => worker.close());

  const scoutLog = log.child({ component: 'scout' });
  const scoutDeps = {
    worker: new WorkerClient({ baseUrl: worker.url, auth: bearerSecret(secret) }),
    fleet: createFleet(tesla),
    store,
    account: env.OFFPEAK_ACCOUNT,
    clock: systemClock,
    log: scoutLog,
    ...(charging && { charging: { state: store, config: { ...DEFAULT_SCOUT_CONFIG, home: charging.deps.config.home } } }),
  };
  const tick = () =>
    runScoutTick(scoutDeps).catch((error: Error) => scoutLog.error({ event: 'tick_crashed', error: error.message }, 'Scout tick crashed'));
  await tick();
  const interval = setInterval(() => void tick(), env.SCOUT_INTERVAL_MIN * 60_000);
  // The daily replan (new day-ahead prices, a new day) for cars plugged in at home, in the home time zone.
  const [replanH, replanM] = env.DAILY_REPLAN_AT.split(':').map(Number);
  const replan = charging
    ? new Cron(`${replanM} ${replanH} * * *`, { timezone: env.OFFPEAK_TIMEZONE, protect: true }, async () => {
        const results = await charging.dailyReplan().catch((error: Error) => {
          workerLog.error({ event: 'replan_failed', error: error.message }, 'daily replan failed');
          return [];
        });
        workerLog.info({ event: 'daily_replan', results: results.map((r) => ({ vin: r.vin, outcome: r.outcome })) }, `daily replan: ${results.length} car(s) plugged in at home`);
      })
    : null;
  log.info(
    { event: 'running', worker: worker.url, scoutEveryMinutes: env.SCOUT_INTERVAL_MIN },
    `offpeak is running: Worker on ${worker.url}, Scout every ${env.SCOUT_INTERVAL_MIN} min. Check it with: WORKER_SHARED_SECRET=… offpeak check-tokens --worker-url ${worker.url}${simulated ? ` --tesla-api-url ${tesla.apiUrl}` : ''}. Stop with Ctrl-C.`,
  );

  const signal = await untilSignal();
  log.info({ event: 'stopping', signal }, 'offpeak stopping');
  clearInterval(interval);
  replan?.stop();
  for (const close of closers) await close().catch(() => undefined);
}
