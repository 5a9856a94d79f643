import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { TokenStore } from '../tokens/store.js';
import { WorkerClient, WorkerRefusedError } from './worker-client.js';

export type TokenSource = 'worker' | 'store' | 'worker-refresh';

export interface ScoutToken {
  accessToken: string;
  expiresAt: number;
  source: TokenSource;
}

/** Every way to a token failed; the tick is skipped. Lists what was tried and why each failed. */
export class NoTokenAvailableError extends Error {
  override readonly name = 'NoTokenAvailableError';
  constructor(readonly attempts: string[]) {
    super(`no Tesla token available, skipping this tick: ${attempts.join('; ')}`);
  }
}

export interface SmartTokenDeps {
  worker: WorkerClient;
  /** Read only: the Scout never writes tokens and never spends a refresh token (token rule 1). */
  store: Pick<TokenStore, 'get'> | null;
  account: string;
  clock: Clock;
  log: Logger;
  /** A stored token is used only when it stays valid at least this long. */
  minValidityMs?: number;
}

/**
 * `get_tesla_access_token_smart` of the original, done right: the Worker first; when it cannot be reached,
 * the current access token read from the store; when that one is expired, ask the Worker to refresh; and
 * when all of that fails, a clear NoTokenAvailableError so the caller skips the tick.
 */
export async function getTokenSmart(deps: SmartTokenDeps): Promise<ScoutToken> {
  const { worker, store, account, clock, log } = deps;
  const minValidityMs = deps.minValidityMs ?? 60_000;
  const attempts: string[] = [];

  try {
    const token = await worker.getToken();
    log.info({ event: 'token_from_worker', validMinutes: token.remainingMinutes }, `Tesla token received from Worker (valid ${token.remainingMinutes} min)`);
    return { accessToken: token.accessToken, expiresAt: token.expiresAt, source: 'worker' };
  } catch (error) {
    attempts.push(`Worker GET /get-token: ${message(error)}`);
    // The Worker answered that Tesla wants a new login: no fallback can fix that, and none is tried.
    if (error instanceof WorkerRefusedError && (error.code === 'reauth_required' || error.status === 401)) {
      throw new NoTokenAvailableError(attempts);
    }
    log.warn({ event: 'fallback_taken', fallback: 'store', reason: message(error) }, 'Worker gave no token; falling back to the token store (read only)');
  }

  if (store) {
    try {
      const record = await store.get(account);
      const expiresAt = record?.tokens.accessExpiresAt ?? null;
      if (record?.status === 'ok' && record.tokens.accessToken && expiresAt !== null && expiresAt - clock.now() > minValidityMs) {
        const minutes = Math.floor((expiresAt - clock.now()) / 60_000);
        log.info({ event: 'token_from_store', validMinutes: minutes }, `Tesla token read from the store (valid ${minutes} min); the Worker was not reachable`);
        return { accessToken: record.tokens.accessToken, expiresAt, source: 'store' };
      }
      attempts.push(record ? `store: token ${record.status === 'ok' ? 'expired or about to expire' : record.status}` : 'store: no tokens for this account');
    } catch (error) {
      attempts.push(`store: ${message(error)}`);
    }
  } else {
    attempts.push('store: not configured for this Scout');
  }

  try {
    log.warn({ event: 'fallback_taken', fallback: 'worker-refresh' }, 'stored token unusable; asking the Worker to refresh');
    const token = await worker.refreshTokens({ reason: 'scout: stored token expired' });
    log.info({ event: 'token_from_worker_refresh', validMinutes: token.remainingMinutes }, `Tesla token received from Worker after refresh (valid ${token.remainingMinutes} min)`);
    return { accessToken: token.accessToken, expiresAt: token.expiresAt, source: 'worker-refresh' };
  } catch (error) {
    attempts.push(`Worker POST /refresh-tokens: ${message(error)}`);
  }
  throw new NoTokenAvailableError(attempts);
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
