import { systemClock, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { BillingCategory } from '../tesla/billing.js';

/**
 * The simulator's knobs, their defaults and their validation. Defaults follow TESLA.md (8 h access tokens,
 * 24 h grace for the most recently used refresh token, ~15 min until a car sleeps).
 */

export type Region = 'EU' | 'NA' | 'CN';
export const REGIONS: readonly Region[] = ['EU', 'NA', 'CN'];

/** Tesla's regional Fleet API base URLs: the 421 answer points the caller at the right one. */
export const TESLA_FLEET_BASE_URL: Record<Region, string> = {
  EU: 'https://fleet-api.prd.eu.vn.cloud.tesla.com',
  NA: 'https://fleet-api.prd.na.vn.cloud.tesla.com',
  CN: 'https://fleet-api.prd.cn.vn.cloud.tesla.cn',
};

/** Issuer of access tokens, in the style of Tesla's third-party tokens. */
export const ACCESS_TOKEN_ISSUER = 'https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/nts';
export const ID_TOKEN_ISSUER = 'https://auth.tesla.com/oauth2/v3';

export const ALL_SCOPES = [
  'openid',
  'offline_access',
  'user_data',
  'vehicle_device_data',
  'vehicle_location',
  'vehicle_cmds',
  'vehicle_charging_cmds',
] as const;

export interface SimOptions {
  /** ALL time inside the simulator comes from this clock (default: the system clock). */
  clock?: Clock;
  /** Access token lifetime in seconds (default 28800 = 8 h). */
  accessTtlSec?: number;
  /** Grace of the most recently used refresh token, from its first use (default 86400). 0 = none. */
  refreshGraceSec?: number;
  /** A refresh revokes the account's earlier access tokens (default false, as Tesla documents nothing else). */
  revokeAccessOnRefresh?: boolean;
  /** Idle time before a car falls asleep (default 900). */
  sleepAfterSec?: number;
  /** Time from wake_up until the car is online (default 10). */
  wakeDelaySec?: number;
  /** The region this simulator serves (default EU); tokens of other regions get 421. */
  region?: Region;
  /** Billing category of GET /api/1/vehicles and /vehicles/{vin} (default 'free'; Tesla does not say). */
  listCategory?: BillingCategory;
  /** pino logger (default silent). Tokens are never passed to it. */
  logger?: Logger;
  /** Extra: lifetime of an unused refresh token (default 90 days; Tesla says "about 3 months"). */
  refreshTtlSec?: number;
  /** Extra: IANA zone of the cars' clocks, for charge schedules (default Europe/Warsaw, like OFFPEAK_TIMEZONE). */
  timeZone?: string;
  /** Extra: the Fleet API base URL put in `aud` before listen() tells the real one. */
  publicUrl?: string;
  /**
   * Commands sent straight to the Fleet API answer 403 "Tesla Vehicle Command Protocol required", as on every
   * car since 2021; only those through the signing-proxy stand-in under /proxy are accepted (default false).
   */
  requireSignedCommands?: boolean;
}

export interface ResolvedSimOptions {
  clock: Clock;
  accessTtlSec: number;
  refreshGraceSec: number;
  revokeAccessOnRefresh: boolean;
  sleepAfterSec: number;
  wakeDelaySec: number;
  region: Region;
  listCategory: BillingCategory;
  logger: Logger;
  refreshTtlSec: number;
  timeZone: string;
  publicUrl: string;
  requireSignedCommands: boolean;
}

const CATEGORIES: readonly BillingCategory[] = ['data', 'command', 'wake', 'free'];

function checkSeconds(name: string, value: number, allowZero: boolean): number {
  if (!Number.isInteger(value) || value < 0 || (!allowZero && value === 0)) {
    const what = allowZero ? 'a non-negative integer' : 'a positive integer';
    throw new RangeError(`${name} must be ${what} number of seconds, got ${String(value)}`);
  }
  return value;
}

/** Fills in defaults and rejects nonsense early, so a misconfigured simulator fails at start, not mid-test. */
export function resolveOptions(options: SimOptions = {}): ResolvedSimOptions {
  const region = options.region ?? 'EU';
  if (!REGIONS.includes(region)) throw new RangeError(`region must be one of ${REGIONS.join(', ')}, got ${String(region)}`);
  const listCategory = options.listCategory ?? 'free';
  if (!CATEGORIES.includes(listCategory)) {
    throw new RangeError(`listCategory must be one of ${CATEGORIES.join(', ')}, got ${String(listCategory)}`);
  }
  const timeZone = options.timeZone ?? 'Europe/Warsaw';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new RangeError(`timeZone must be an IANA time zone, got ${timeZone}`);
  }
  return {
    clock: options.clock ?? systemClock,
    accessTtlSec: checkSeconds('accessTtlSec', options.accessTtlSec ?? 28_800, false),
    refreshGraceSec: checkSeconds('refreshGraceSec', options.refreshGraceSec ?? 86_400, true),
    revokeAccessOnRefresh: options.revokeAccessOnRefresh ?? false,
    sleepAfterSec: checkSeconds('sleepAfterSec', options.sleepAfterSec ?? 900, false),
    wakeDelaySec: checkSeconds('wakeDelaySec', options.wakeDelaySec ?? 10, true),
    region,
    listCategory,
    logger: options.logger ?? silentLogger,
    refreshTtlSec: checkSeconds('refreshTtlSec', options.refreshTtlSec ?? 90 * 86_400, false),
    timeZone,
    publicUrl: options.publicUrl ?? 'http://127.0.0.1:4455',
    requireSignedCommands: options.requireSignedCommands ?? false,
  };
}
