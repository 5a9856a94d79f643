/**
 * Builds the charging side of the Worker from the environment. Without a home location there is no charging
 * (the Worker cannot tell "at home"), and the Worker says so on /run-cycle instead of guessing.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, type Env } from '../config.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { resolveTariff, TariffConfigError } from '../tariff/index.js';
import type { FleetClient } from '../tesla/fleet.js';
import type { TokenBroker } from '../tokens/broker.js';
import type { TokenStore } from '../tokens/store.js';
import { CHARGING_DEFAULTS, type ChargingConfig } from './config.js';
import type { HomeCircle } from './geo.js';
import { VehicleLocks } from './lock.js';
import { ChargingService } from './service.js';

export function chargingConfig(env: Env, fallbackHome?: { lat: number; lon: number }): ChargingConfig | null {
  const lat = env.HOME_LATITUDE ?? fallbackHome?.lat;
  const lon = env.HOME_LONGITUDE ?? fallbackHome?.lon;
  if (lat === undefined || lon === undefined) return null;
  const home: HomeCircle = { lat, lon, radiusM: env.HOME_RADIUS_M };
  const [from, to] = env.FALLBACK_CHEAP_WINDOW.split('-') as [string, string];
  return {
    ...CHARGING_DEFAULTS,
    home,
    timeZone: env.OFFPEAK_TIMEZONE,
    capacityKwh: env.BATTERY_CAPACITY_KWH,
    powerKw: env.CHARGER_POWER_KW,
    readyBy: env.CHARGE_READY_BY,
    floorPercent: env.CHARGE_FLOOR_PERCENT,
    fallback: { safeMinPercent: env.FALLBACK_SAFE_MIN_PERCENT, cheapWindow: { from, to } },
  };
}

export async function chargingService(parts: {
  env: Env;
  fleet: FleetClient;
  broker: TokenBroker;
  store: TokenStore;
  log: Logger;
  clock: Clock;
  holder: string;
  fallbackHome?: { lat: number; lon: number };
}): Promise<ChargingService | null> {
  const config = chargingConfig(parts.env, parts.fallbackHome);
  if (!config) {
    parts.log.warn({ event: 'charging_disabled' }, 'HOME_LATITUDE / HOME_LONGITUDE not set: the charging cycle is off (/run-cycle answers 503)');
    return null;
  }
  let tariff;
  try {
    tariff = await resolveTariff(parts.env.OFFPEAK_TARIFF, { readFile: (p) => readFile(p, 'utf8'), fetch, env: process.env });
  } catch (error) {
    if (error instanceof TariffConfigError) throw new ConfigError(`OFFPEAK_TARIFF: ${error.message}`);
    throw error;
  }
  const account = parts.env.OFFPEAK_ACCOUNT;
  return new ChargingService({
    fleet: parts.fleet,
    accessToken: async () => (await parts.broker.getAccessToken(account)).accessToken,
    store: parts.store,
    locks: new VehicleLocks(parts.store, parts.holder, 180_000),
    config,
    tariff,
    clock: parts.clock,
    log: parts.log,
  });
}
