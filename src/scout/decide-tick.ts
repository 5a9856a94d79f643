/**
 * The Scout's charging decisions for every vehicle of the account, after the (free) vehicle list: the pure
 * state machine (src/charging/scout-machine.ts) decides; this file does the I/O it asks for — vehicle_data only
 * for an online car when asked, POST /run-cycle on a trigger — and records the observation after the decision,
 * in the store shared with the Worker.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { decide, settle, type ScoutConfig, type ScoutRecord, type TriggerReason } from '../charging/scout-machine.js';
import { targetsKey, type TargetsDoc } from '../charging/targets.js';
import { vehicleKey, type VehicleState } from '../charging/vehicle-state.js';
import { VehicleUnavailableError } from '../tesla/errors.js';
import type { FleetClient, VehicleSummary } from '../tesla/fleet.js';
import type { VehicleSnapshot } from '../tesla/vehicle-data.js';
import type { TokenStore } from '../tokens/store.js';
import { VersionConflictError } from '../tokens/store.js';
import type { WorkerClient } from './worker-client.js';

export interface ScoutChargingDeps {
  state: Pick<TokenStore, 'getState' | 'putState'>;
  config: ScoutConfig;
}

export interface VehicleDecisionReport {
  vin: string;
  place: ScoutRecord['place'];
  read: boolean;
  trigger: TriggerReason | null;
  retry: boolean;
  /** Whether the Worker took the trigger; null when there was none. */
  workerOk: boolean | null;
}

export const scoutKey = (vin: string): string => `scout:${vin}`;

export async function decideAndTrigger(
  deps: { fleet: FleetClient; worker: WorkerClient; clock: Clock; log: Logger },
  charging: ScoutChargingDeps,
  accessToken: string,
  vehicles: readonly VehicleSummary[],
): Promise<VehicleDecisionReport[]> {
  const reports: VehicleDecisionReport[] = [];
  for (const v of vehicles) reports.push(await oneVehicle(deps, charging, accessToken, v));
  return reports;
}

async function oneVehicle(
  deps: { fleet: FleetClient; worker: WorkerClient; clock: Clock; log: Logger },
  charging: ScoutChargingDeps,
  accessToken: string,
  v: VehicleSummary,
): Promise<VehicleDecisionReport> {
  const { fleet, worker, clock, log } = deps;
  const now = clock.now();
  const doc = await charging.state.getState<ScoutRecord>(scoutKey(v.vin));
  const targets = (await charging.state.getState<TargetsDoc>(targetsKey(v.vin)))?.value.targets ?? [];
  const applied = (await charging.state.getState<VehicleState>(vehicleKey(v.vin)))?.value.applied;
  // A car stays awake ~15 min after charging ends: still expected then.
  const chargingExpected = applied?.schedules.some((s) => s.kind === 'charge' && s.start <= now && now < s.end + 20 * 60_000) ?? false;
  const input = { prev: doc?.value ?? null, vehicle: { vin: v.vin, state: v.state }, now, config: charging.config, targets, chargingExpected };
  let decision = decide(input);
  const read = decision.callVehicleData;
  if (read) {
    let snapshot: VehicleSnapshot | null = null;
    try {
      snapshot = await fleet.vehicleSnapshot(accessToken, v.vin);
    } catch (error) {
      // Asleep meanwhile (408) or an error: nothing observed this time; never a reason to wake the car.
      if (!(error instanceof VehicleUnavailableError)) log.warn({ event: 'vehicle_data_failed', vin: v.vin, error: (error as Error).message }, `vehicle_data of ${v.vin} failed`);
    }
    decision = decide({ ...input, snapshot });
  }
  if (decision.expired) {
    log.warn({ event: 'trigger_expired', vin: v.vin, reason: decision.expired.reason, attempts: decision.expired.attempts }, `gave up the pending ${decision.expired.reason} trigger of ${v.vin} after ${decision.expired.attempts} failed Worker calls`);
  }
  let record = decision.record;
  let workerOk: boolean | null = null;
  if (decision.trigger) {
    try {
      await worker.runCycle({ vin: v.vin, reason: decision.trigger });
      workerOk = true;
      log.info({ event: 'cycle_triggered', vin: v.vin, reason: decision.trigger, retry: decision.retry }, `Worker ran the charging cycle of ${v.vin} (${decision.trigger})`);
    } catch (error) {
      workerOk = false;
      log.warn({ event: 'cycle_trigger_failed', vin: v.vin, reason: decision.trigger, error: (error as Error).message }, `Worker call for ${v.vin} (${decision.trigger}) failed; kept pending, retried next tick`);
    }
    record = settle(record, workerOk);
  }
  try {
    await charging.state.putState(scoutKey(v.vin), record, doc?.version ?? 0);
  } catch (error) {
    // Another Scout recorded first: its observation is as good as ours; the next tick reads it.
    if (!(error instanceof VersionConflictError)) throw error;
  }
  return { vin: v.vin, place: record.place, read, trigger: decision.trigger, retry: decision.retry, workerOk };
}
