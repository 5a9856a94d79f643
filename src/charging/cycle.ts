/**
 * The Worker's charging cycle for one car (SYSTEM.md "Worker behaviour"), under the per-car lock:
 *   1. the car's free state; an asleep car is woken only when a command must be sent;
 *   2. fresh state (vehicle_data: charge, position, schedules);
 *   3. plugged in at home → plan (or the safe fallback) → reconcile by content with the car's schedules;
 *   4. nothing to change → nothing sent; otherwise send, read back (verify), record;
 *   5. the plan hash is committed only after the plan is verified in the car.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Tariff } from '../tariff/index.js';
import { TeslaError, VehicleUnavailableError } from '../tesla/errors.js';
import type { FleetClient } from '../tesla/fleet.js';
import type { VehicleSnapshot } from '../tesla/vehicle-data.js';
import type { ChargingConfig } from './config.js';
import { CycleBusyError, type VehicleLocks } from './lock.js';
import { planForCar, type CarPlan } from './plan-for-car.js';
import { allPresent, oursAfter, reconcile } from './reconcile.js';
import { contentKey, contentOfParams } from './schedule-key.js';
import { placeOf } from './scout-machine.js';
import { activeTarget, liveTargets, targetsKey, type TargetsDoc } from './targets.js';
import { emptyVehicleState, updateState, vehicleKey, type StateStore, type VehicleState } from './vehicle-state.js';

export interface CycleDeps {
  fleet: FleetClient;
  accessToken: () => Promise<string>;
  store: StateStore;
  locks: VehicleLocks;
  config: ChargingConfig;
  tariff: Tariff | null;
  clock: Clock;
  log: Logger;
  /** Longest wait for a woken car to come online. */
  wakeWaitMs?: number;
}

export type CycleOutcome = 'applied' | 'unchanged' | 'not_at_home' | 'asleep' | 'busy' | 'failed';

export interface CycleResult {
  vin: string;
  reason: string;
  outcome: CycleOutcome;
  message: string;
  woke: boolean;
  added: number;
  removed: number;
  source?: CarPlan['source'];
  plan?: { hash: string; readyBy: number; targetPercent: number; windows: Array<{ start: number; end: number; kwh: number }> };
  /** For failures: worth retrying later (network, 5xx, asleep meanwhile). */
  transient?: boolean;
}

/** Reasons for which an asleep car is woken without first checking whether the plan changed. */
const WAKE_REASONS = new Set(['plugged_in_home', 'first_sight', 'manual']);

export async function runVehicleCycle(deps: CycleDeps, vin: string, reason: string): Promise<CycleResult> {
  try {
    return await deps.locks.run(vin, () => cycle(deps, vin, reason));
  } catch (error) {
    if (error instanceof CycleBusyError) return result(vin, reason, 'busy', error.message, { transient: true });
    if (error instanceof TeslaError && !(error.name === 'AccessTokenRejectedError')) {
      deps.log.warn({ event: 'cycle_failed', vin, reason, error: error.message }, `charging cycle of ${vin} failed: ${error.message}`);
      return result(vin, reason, 'failed', error.message, { transient: error.transient || error instanceof VehicleUnavailableError });
    }
    throw error;
  }
}

function result(vin: string, reason: string, outcome: CycleOutcome, message: string, extra: Partial<CycleResult> = {}): CycleResult {
  return { vin, reason, outcome, message, woke: false, added: 0, removed: 0, ...extra };
}

async function cycle(deps: CycleDeps, vin: string, reason: string): Promise<CycleResult> {
  const { fleet, store, config, clock, log } = deps;
  const now = clock.now();
  const token = await deps.accessToken();
  const state = (await store.getState<VehicleState>(vehicleKey(vin)))?.value ?? emptyVehicleState(vin);
  const targets = liveTargets((await store.getState<TargetsDoc>(targetsKey(vin)))?.value.targets ?? [], now);
  const target = activeTarget(targets, now, config.targetHorizonMs);
  const record = (patch: Partial<VehicleState>, outcome: CycleOutcome) =>
    updateState<VehicleState>(store, vehicleKey(vin), state, (cur) => ({ ...cur, ...patch, lastCycle: { at: now, reason, outcome } }));

  if (reason === 'unplugged_home') {
    // The Scout has just seen it: nothing to write into an unplugged car, so no Tesla call at all.
    await record({ place: 'home_unplugged' }, 'not_at_home');
    return result(vin, reason, 'not_at_home', 'unplugged at home: recorded, nothing sent');
  }
  let woke = false;
  if ((await fleet.getVehicle(token, vin)).state !== 'online') {
    const why = await wakeNeeded(deps, state, reason, target, now);
    if (why !== null) {
      await record({}, why.outcome);
      return result(vin, reason, why.outcome, why.message);
    }
    woke = await fleet.ensureOnline(token, vin, deps.wakeWaitMs ?? 60_000);
    log.info({ event: 'car_woken', vin, reason }, `woke ${vin}: a command must be sent`);
  }

  const snap = await fleet.vehicleSnapshot(token, vin);
  const place = placeOf(snap, config.home);
  if (place === 'unknown' || snap.batteryLevel === null || snap.chargeLimitSoc === null) {
    await record({ snapshot: snap }, 'failed');
    return result(vin, reason, 'failed', 'vehicle_data lacks position, plug or charge state: nothing sent', { woke, transient: true });
  }
  if (place !== 'home_plugged') {
    await record({ place, snapshot: snap }, 'not_at_home');
    return result(vin, reason, 'not_at_home', place === 'away' ? 'the car is away from home' : 'the car is at home, not plugged in', { woke });
  }

  // Plans are for the owner's own limit; a one-off target raises it only for as long as it is active.
  const ownerLimit = state.raisedLimitFrom ?? snap.chargeLimitSoc;
  const carPlan = await planForCar({ car: { batteryLevel: snap.batteryLevel, chargeLimitSoc: ownerLimit }, config, tariff: deps.tariff, target, now });
  const wantLimit = carPlan.setLimitTo ?? ownerLimit;
  const raisedLimitFrom = carPlan.setLimitTo !== null ? ownerLimit : null;
  if (carPlan.source === 'fallback') {
    log.warn({ event: 'tariff_fallback', vin, reason: carPlan.fallbackReason }, `tariff unavailable (${carPlan.fallbackReason}): safe plan, up to ${carPlan.targetPercent > config.fallback.safeMinPercent ? config.fallback.safeMinPercent : carPlan.targetPercent}% in ${config.fallback.cheapWindow.from}-${config.fallback.cheapWindow.to} only`);
  }
  const desired = carPlan.schedules.map((s) => s.params);
  const rec = reconcile({ desired, car: snap.chargeSchedules, ours: state.ours, home: config.home });
  const planInfo = planSummary(carPlan);
  if (!rec.ok) {
    await record({ place, snapshot: snap }, 'failed');
    return result(vin, reason, 'failed', "the car's charge schedules could not be read: nothing sent (unknown is not empty)", { woke, transient: true });
  }
  if (rec.ownerOverlaps.length > 0) {
    log.warn({ event: 'owner_schedule_overlap', vin, ids: rec.ownerOverlaps }, `owner's schedules ${rec.ownerOverlaps.join(', ')} overlap the plan; left untouched`);
  }
  const carSchedules = snap.chargeSchedules ?? [];
  const limitNeeded = wantLimit !== snap.chargeLimitSoc;
  const applied = (at: number) => ({
    hash: carPlan.hash,
    at,
    source: carPlan.source,
    readyBy: carPlan.readyBy,
    targetPercent: carPlan.targetPercent,
    schedules: carPlan.schedules.map((s) => ({ key: contentKey(contentOfParams(s.params)), date: s.date, start: s.start, end: s.end, kind: s.kind })),
  });

  if (rec.add.length === 0 && rec.remove.length === 0 && !limitNeeded) {
    const present = new Set(carSchedules.map((s) => s.id));
    await record({ place, snapshot: snap, ours: state.ours.filter((id) => present.has(id)), applied: applied(now), raisedLimitFrom }, 'unchanged');
    return result(vin, reason, 'unchanged', 'the car already holds the plan: nothing sent', { woke, source: carPlan.source, plan: planInfo });
  }

  let sendError: unknown = null;
  let added = 0;
  let removed = 0;
  try {
    if (limitNeeded) await fleet.setChargeLimit(token, vin, wantLimit);
    // Adds before removes: the car is never left without a schedule (it would start charging at once).
    for (const params of rec.add) {
      await fleet.addChargeSchedule(token, vin, params);
      added++;
    }
    for (const id of rec.remove) {
      await fleet.removeChargeSchedule(token, vin, id);
      removed++;
    }
  } catch (error) {
    sendError = error;
  }

  let after: VehicleSnapshot | null = null;
  try {
    after = await fleet.vehicleSnapshot(token, vin);
  } catch (error) {
    sendError ??= error;
  }
  const ours = after?.chargeSchedules ? oursAfter({ desired, before: carSchedules, after: after.chargeSchedules, ours: state.ours }) : state.ours;
  const verified = sendError === null && after?.chargeSchedules != null && allPresent(desired, after.chargeSchedules);
  // The hash is committed only now, after the plan is verified in the car; a failed apply keeps the old one.
  const limitSet = after?.chargeLimitSoc === wantLimit;
  await record({ place, snapshot: after ?? snap, ours, ...(verified ? { applied: applied(clock.now()) } : {}), ...(limitSet ? { raisedLimitFrom } : {}) }, verified ? 'applied' : 'failed');
  const counts = { woke, added, removed, source: carPlan.source, plan: planInfo };
  if (!verified) {
    const why = sendError instanceof Error ? sendError.message : 'the schedules read back differ from the plan';
    log.warn({ event: 'cycle_failed', vin, reason, error: why }, `charging plan of ${vin} not applied: ${why}`);
    return result(vin, reason, 'failed', why, { ...counts, transient: true });
  }
  log.info({ event: 'plan_applied', vin, reason, added, removed, source: carPlan.source, hash: carPlan.hash }, `plan applied to ${vin}: ${added} schedule(s) added, ${removed} removed`);
  return result(vin, reason, 'applied', `${added} schedule(s) added, ${removed} removed`, counts);
}

function planSummary(p: CarPlan): CycleResult['plan'] {
  return { hash: p.hash, readyBy: p.readyBy, targetPercent: p.targetPercent, windows: p.plan.windows.map((w) => ({ start: w.start, end: w.end, kwh: Math.round(w.kwh * 1000) / 1000 })) };
}

/**
 * For an asleep car: null when it must be woken, else why not. Waking costs $0.02 and battery, so unless the
 * reason itself means a plan must be written (plug-in), the plan is first computed from the recorded state and
 * compared with what the car was last verified to hold.
 */
async function wakeNeeded(
  deps: CycleDeps,
  state: VehicleState,
  reason: string,
  target: Parameters<typeof planForCar>[0]['target'],
  now: number,
): Promise<{ outcome: CycleOutcome; message: string } | null> {
  if (WAKE_REASONS.has(reason)) return null;
  const snap = state.snapshot;
  if (state.place !== 'home_plugged' || !snap || snap.batteryLevel === null || snap.chargeLimitSoc === null) {
    return { outcome: 'asleep', message: 'the car is asleep and was not last seen plugged in at home: not woken' };
  }
  // The recorded level predates the verified plan's windows; once they have all passed, the car charged them.
  const windowsDone = state.applied !== null && state.applied.schedules.every((s) => s.kind !== 'charge' || s.end <= now);
  const battery = windowsDone ? Math.max(snap.batteryLevel, state.applied?.targetPercent ?? 0) : snap.batteryLevel;
  const estimate = await planForCar({ car: { batteryLevel: battery, chargeLimitSoc: snap.chargeLimitSoc }, config: deps.config, tariff: deps.tariff, target, now });
  const held = new Set((state.applied?.schedules ?? []).filter((s) => s.end > now).map((s) => s.key));
  // A missing guard alone is not worth a wake while the car still holds something that keeps it from charging.
  const chargesHeld = estimate.schedules.filter((s) => s.kind === 'charge').every((s) => held.has(contentKey(contentOfParams(s.params))));
  return chargesHeld && held.size > 0 ? { outcome: 'unchanged', message: 'the car is asleep and already holds this plan: not woken' } : null;
}
