import type { Logger } from '../core/log.js';
import type { ChargingService } from '../charging/service.js';
import type { TokenBroker } from '../tokens/broker.js';
import type { TokenStore } from '../tokens/store.js';
import { buildWorkerApp } from './app.js';
import type { CallerAuth } from './auth.js';

export interface RunningWorker {
  url: string;
  close(): Promise<void>;
}

export interface StartWorkerOptions {
  broker: TokenBroker;
  store: TokenStore;
  auth: CallerAuth;
  account: string;
  logger: Logger;
  port: number;
  host: string;
  /** The charging cycle behind /run-cycle; absent: it answers 503 charging_not_configured. */
  charging?: ChargingService | null;
}

/**
 * Listens, and keeps the tokens fresh in the background so that a Scout asking at any moment gets a token
 * with most of its life left, and so the refresh token is used (kept alive) even when nobody asks.
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { broker, account, logger } = options;
  const app = await buildWorkerApp({ broker, account, auth: options.auth, storeKind: options.store.kind, logger, charging: options.charging ?? null });
  const address = await app.listen({ port: options.port, host: options.host });

  const status = await broker.status(account);
  logger.info(
    { event: 'worker_started', url: address, account, store: options.store.kind, auth: options.auth.mode, tokens: status.state },
    `Worker listening on ${address} (tokens: ${status.state}${status.remainingMinutes !== null ? `, ${status.remainingMinutes} min left` : ''})`,
  );

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = async (): Promise<void> => {
    await broker.keepFresh([account]);
    if (stopped) return;
    const next = await broker.status(account).catch(() => null);
    const dueIn = next?.refreshDueAt ? Date.parse(next.refreshDueAt) - Date.now() : 60_000;
    // Wake up when the token is due (bounded so a store change by someone else is noticed within a minute).
    timer = setTimeout(() => void schedule(), Math.min(60_000, Math.max(250, dueIn)));
    timer.unref();
  };
  void schedule();

  return {
    url: address,
    async close() {
      stopped = true;
      clearTimeout(timer);
      await app.close();
    },
  };
}
