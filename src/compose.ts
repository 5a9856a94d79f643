import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Clock } from './core/clock.js';
import type { Logger } from './core/log.js';
import { ConfigError, TESLA_DEFAULTS, type Env } from './config.js';
import { FleetClient } from './tesla/fleet.js';
import type { Fetch } from './tesla/http.js';
import { TeslaOAuthClient } from './tesla/oauth.js';
import { TokenBroker } from './tokens/broker.js';
import { defaultStoreSpec, openTokenStore } from './tokens/open-store.js';
import type { TokenStore } from './tokens/store.js';
import { sharedSecretAuth, type CallerAuth } from './worker/auth.js';
import { googleIdTokenAuth, lazyGoogleIdTokenVerifier } from './worker/google-auth.js';

/**
 * Builds the system's parts from configuration. The only place that reads `Env`; the parts themselves take
 * plain options, so tests build them directly.
 */

export interface TeslaEndpoints {
  authUrl: string;
  apiUrl: string;
  clientId: string;
}

export function teslaEndpoints(env: Env): TeslaEndpoints {
  if (!env.TESLA_CLIENT_ID) {
    throw new ConfigError(
      'TESLA_CLIENT_ID is not set: set it (and TESLA_AUTH_URL / TESLA_API_URL for your region), or run "offpeak run" to try offpeak against the built-in simulator',
    );
  }
  return {
    authUrl: env.TESLA_AUTH_URL ?? TESLA_DEFAULTS.authUrl,
    apiUrl: env.TESLA_API_URL ?? TESLA_DEFAULTS.apiUrl,
    clientId: env.TESLA_CLIENT_ID,
  };
}

export function storeSpec(env: Env): string {
  return env.TOKEN_STORE ?? defaultStoreSpec;
}

export function openStore(env: Env, logger: Logger, clock?: Clock): Promise<TokenStore> {
  return openTokenStore(storeSpec(env), {
    ...(env.TOKEN_ENCRYPTION_KEY && { encryptionKey: env.TOKEN_ENCRYPTION_KEY }),
    ...(clock && { clock }),
    logger,
  });
}

/** The Scout reads the store only as a fallback, and only when one is configured or the default one exists. */
export async function openFallbackStore(env: Env, logger: Logger): Promise<TokenStore | null> {
  if (!env.TOKEN_STORE && !existsSync(resolve(defaultStoreSpec.slice('file:'.length)))) return null;
  return openStore(env, logger);
}

export function createBroker(parts: {
  store: TokenStore;
  tesla: TeslaEndpoints;
  logger: Logger;
  leaseTtlSec?: number;
  clock?: Clock;
  fetch?: Fetch;
}): TokenBroker {
  const oauth = new TeslaOAuthClient({
    authUrl: parts.tesla.authUrl,
    clientId: parts.tesla.clientId,
    ...(parts.fetch && { fetch: parts.fetch }),
    ...(parts.clock && { clock: parts.clock }),
  });
  return new TokenBroker({
    store: parts.store,
    tesla: oauth,
    logger: parts.logger,
    ...(parts.leaseTtlSec && { leaseTtlMs: parts.leaseTtlSec * 1000 }),
    ...(parts.clock && { clock: parts.clock }),
  });
}

export function createFleet(tesla: Pick<TeslaEndpoints, 'apiUrl'>, fetchImpl?: Fetch): FleetClient {
  return new FleetClient({ apiUrl: tesla.apiUrl, ...(fetchImpl && { fetch: fetchImpl }) });
}

/**
 * The Worker never runs without a caller check. The mode is explicit (`WORKER_AUTH_MODE`, default
 * `shared-secret`); a mode whose settings are missing is a configuration error, never a fallback to less.
 */
export function workerAuth(env: Env, logger?: Logger): CallerAuth {
  if (env.WORKER_AUTH_MODE === 'google') {
    const missing = [
      env.WORKER_AUDIENCES.length === 0 && 'WORKER_AUDIENCES (the Worker URL, e.g. https://offpeak-worker-….run.app)',
      env.WORKER_ALLOWED_CALLERS.length === 0 && 'WORKER_ALLOWED_CALLERS (the Scout and Scheduler service-account emails)',
    ].filter(Boolean);
    if (missing.length) throw new ConfigError(`WORKER_AUTH_MODE=google needs ${missing.join(' and ')}, comma-separated`);
    const verifier = lazyGoogleIdTokenVerifier({ audiences: env.WORKER_AUDIENCES, allowedCallers: env.WORKER_ALLOWED_CALLERS });
    return googleIdTokenAuth(verifier, logger);
  }
  if (!env.WORKER_SHARED_SECRET) {
    throw new ConfigError('WORKER_SHARED_SECRET is not set: the Worker refuses to serve tokens without authentication (e.g. `export WORKER_SHARED_SECRET=$(openssl rand -base64 32)`)');
  }
  return sharedSecretAuth(env.WORKER_SHARED_SECRET);
}

/**
 * For the all-in-one `offpeak run`: the shared secret from the environment, or one generated once and kept
 * beside the store (mode 0600) so that `offpeak check-tokens` can use it too.
 */
export async function localSharedSecret(env: Env, storeDir: string, logger: Logger): Promise<string> {
  if (env.WORKER_SHARED_SECRET) return env.WORKER_SHARED_SECRET;
  const path = resolve(storeDir, 'worker-secret');
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const secret = randomBytes(32).toString('base64url');
    await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
    await chmod(path, 0o600).catch(() => undefined);
    logger.warn({ event: 'secret_generated', path }, `WORKER_SHARED_SECRET not set: generated one in ${path} (mode 0600)`);
    return (await readFile(path, 'utf8')).trim();
  }
}
