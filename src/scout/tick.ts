import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { BillingCounters } from '../tesla/billing.js';
import { AccessTokenRejectedError } from '../tesla/errors.js';
import type { FleetClient, VehicleSummary } from '../tesla/fleet.js';
import type { TokenStore } from '../tokens/store.js';
import { decideAndTrigger, type ScoutChargingDeps, type VehicleDecisionReport } from './decide-tick.js';
import { getTokenSmart, NoTokenAvailableError, type TokenSource } from './token-source.js';
import type { WorkerClient } from './worker-client.js';

export interface ScoutDeps {
  worker: WorkerClient;
  fleet: FleetClient;
  store: Pick<TokenStore, 'get'> | null;
  account: string;
  clock: Clock;
  log: Logger;
  /** The charging decisions (state store + home); absent: the tick only observes. */
  charging?: ScoutChargingDeps;
}

export interface ScoutTickResult {
  ok: boolean;
  tokenSource: TokenSource | null;
  vehicles: Array<Pick<VehicleSummary, 'vin' | 'displayName' | 'state'>>;
  /** Why the tick did nothing useful, when it did not. */
  skipped: string | null;
  teslaCalls: BillingCounters;
  /** Per vehicle, what the charging decisions did (when charging is configured). */
  decisions?: VehicleDecisionReport[];
}

/**
 * One Scout tick: a token the smart way, then the cheapest look at the account's vehicles (the list does not
 * wake a car). On a 401 from Tesla it asks the Worker once for a fresh token and retries once.
 * The charging decisions built on this observation come with the planning work.
 */
export async function runScoutTick(deps: ScoutDeps): Promise<ScoutTickResult> {
  const { worker, fleet, log } = deps;
  let token;
  try {
    token = await getTokenSmart(deps);
  } catch (error) {
    if (!(error instanceof NoTokenAvailableError)) throw error;
    log.error({ event: 'tick_skipped', attempts: error.attempts }, error.message);
    return { ok: false, tokenSource: null, vehicles: [], skipped: error.message, teslaCalls: { ...fleet.calls } };
  }

  let vehicles: VehicleSummary[];
  let accessToken = token.accessToken;
  try {
    vehicles = await fleet.listVehicles(token.accessToken);
  } catch (error) {
    if (!(error instanceof AccessTokenRejectedError)) return failed(deps, token.source, error);
    log.warn({ event: 'token_rejected', source: token.source }, 'Tesla rejected the token (401); asking the Worker for a fresh one and retrying once');
    try {
      const fresh = await worker.refreshTokens({ force: true, reason: 'scout: Tesla answered 401' });
      vehicles = await fleet.listVehicles(fresh.accessToken);
      accessToken = fresh.accessToken;
    } catch (retryError) {
      return failed(deps, token.source, retryError);
    }
  }

  const seen = vehicles.map(({ vin, displayName, state }) => ({ vin, displayName, state }));
  log.info({ event: 'vehicles_observed', tokenSource: token.source, vehicles: seen }, `Scout saw ${seen.length} vehicle(s): ${seen.map((v) => `${v.displayName ?? v.vin} ${v.state}`).join(', ') || 'none'}`);
  if (!deps.charging) return { ok: true, tokenSource: token.source, vehicles: seen, skipped: null, teslaCalls: { ...fleet.calls } };
  let decisions: VehicleDecisionReport[];
  try {
    decisions = await decideAndTrigger(deps, deps.charging, accessToken, vehicles);
  } catch (error) {
    return failed(deps, token.source, error);
  }
  return { ok: true, tokenSource: token.source, vehicles: seen, skipped: null, teslaCalls: { ...fleet.calls }, decisions };
}

function failed(deps: ScoutDeps, tokenSource: TokenSource, error: unknown): ScoutTickResult {
  const reason = error instanceof Error ? error.message : String(error);
  deps.log.error({ event: 'tick_failed', reason }, `Scout tick failed: ${reason}`);
  return { ok: false, tokenSource, vehicles: [], skipped: reason, teslaCalls: { ...deps.fleet.calls } };
}
