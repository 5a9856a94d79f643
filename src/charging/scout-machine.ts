/**
 * The Scout's decisions as an explicit state machine (pure). Per vehicle it keeps a record of where the car
 * was last seen:
 *
 *   unknown ──data──► away | home_unplugged | home_plugged
 *   home_unplugged ──plug──► home_plugged   (trigger plugged_in_home)
 *   away ──arrive plugged──► home_plugged   (trigger plugged_in_home)
 *   home_plugged ──unplug──► home_unplugged (trigger unplugged_home)
 *   unknown ──first data──► any             (trigger first_sight)
 *
 * Triggers fire on EDGES, not levels. vehicle_data is asked for only when the car is online AND something may
 * have changed (it just woke, or the last read is older than the recheck interval of its place); an asleep
 * car is never read and never woken. A trigger whose Worker call failed stays pending and is retried each tick
 * until it expires (everything that blocks expires). The record is written after the decision.
 */
import type { VehicleSnapshot } from '../tesla/vehicle-data.js';
import { isHome, type HomeCircle } from './geo.js';

export type Place = 'unknown' | 'away' | 'home_unplugged' | 'home_plugged';
export type TriggerReason = 'first_sight' | 'plugged_in_home' | 'unplugged_home' | 'target_due';

export interface PendingTrigger {
  reason: TriggerReason;
  since: number;
  attempts: number;
}

export interface ScoutRecord {
  vin: string;
  place: Place;
  /** Power state at the last look: online, asleep, offline. */
  power: string;
  firstSeenAt: number;
  lastSeenAt: number;
  lastDataAt: number | null;
  /** Consecutive reads of an already-online car that showed no change: spaces reads out so it can sleep. */
  quietReads: number;
  batteryLevel: number | null;
  pending: PendingTrigger | null;
  /** One-off targets already announced to the Worker. */
  targetsTriggered: string[];
}

export interface ScoutConfig {
  home: HomeCircle;
  /** Minimum age of the last read before an online car at home unplugged / away is read again. */
  recheckMs: number;
  /** The same for a car plugged in at home: nothing the Scout must act on quickly happens there. */
  pluggedRecheckMs: number;
  /** A pending trigger is dropped after this long. */
  pendingTtlMs: number;
  /** A one-off target is announced this long before its ready-by time. */
  targetLeadMs: number;
}

export const DEFAULT_SCOUT_CONFIG: Omit<ScoutConfig, 'home'> = {
  recheckMs: 14 * 60_000,
  pluggedRecheckMs: 2 * 3_600_000,
  pendingTtlMs: 6 * 3_600_000,
  targetLeadMs: 24 * 3_600_000,
};

export interface TargetRef {
  id: string;
  readyBy: number;
}

export interface DecideInput {
  prev: ScoutRecord | null;
  vehicle: { vin: string; state: string };
  /** undefined: not read (yet); null: the read failed (asleep meanwhile, error). */
  snapshot?: VehicleSnapshot | null;
  now: number;
  config: ScoutConfig;
  targets?: readonly TargetRef[];
  /**
   * The Worker's applied plan has the car charging now (or just finished): a car plugged in at home that is
   * awake for that reason is not read — its waking up is expected, not news.
   */
  chargingExpected?: boolean;
}

export interface Decision {
  /** Ask vehicle_data, then decide again with the snapshot. */
  callVehicleData: boolean;
  trigger: TriggerReason | null;
  /** The trigger is a retry of a pending one. */
  retry: boolean;
  /** A pending trigger that expired now, for the log. */
  expired: PendingTrigger | null;
  record: ScoutRecord;
}

export function placeOf(s: VehicleSnapshot, home: HomeCircle): Place {
  if (s.location === null || s.pluggedIn === null) return 'unknown';
  if (!isHome(home, s.location)) return 'away';
  return s.pluggedIn ? 'home_plugged' : 'home_unplugged';
}

function freshRecord(vin: string, now: number): ScoutRecord {
  return { vin, place: 'unknown', power: 'unknown', firstSeenAt: now, lastSeenAt: now, lastDataAt: null, quietReads: 0, batteryLevel: null, pending: null, targetsTriggered: [] };
}

export function needsData(prev: ScoutRecord | null, online: boolean, now: number, c: ScoutConfig, chargingExpected = false): boolean {
  if (!online) return false;
  if (!prev || prev.place === 'unknown' || prev.lastDataAt === null) return true;
  if (prev.place === 'home_plugged' && chargingExpected) return false;
  if (prev.power !== 'online') return true;
  const interval = prev.place === 'home_plugged' ? c.pluggedRecheckMs : c.recheckMs * (1 + Math.min(prev.quietReads, 3));
  return now - prev.lastDataAt >= interval;
}

function edge(from: Place, to: Place): TriggerReason | null {
  if (to === 'unknown') return null;
  if (from === 'unknown') return 'first_sight';
  if (to === 'home_plugged' && from !== 'home_plugged') return 'plugged_in_home';
  if (from === 'home_plugged' && to === 'home_unplugged') return 'unplugged_home';
  return null;
}

export function decide(input: DecideInput): Decision {
  const { prev, vehicle, now, config } = input;
  const base = prev ?? freshRecord(vehicle.vin, now);
  const online = vehicle.state === 'online';
  if (input.snapshot === undefined && needsData(prev, online, now, config, input.chargingExpected)) {
    return { callVehicleData: true, trigger: null, retry: false, expired: null, record: base };
  }

  const snap = input.snapshot ?? null;
  const place = snap ? placeOf(snap, config.home) : base.place;
  const changed = snap !== null && place !== base.place;
  let trigger = snap ? edge(base.place, place) : null;

  const targets = input.targets ?? [];
  const triggered = base.targetsTriggered.filter((id) => targets.some((t) => t.id === id));
  const due = targets.find((t) => !triggered.includes(t.id) && t.readyBy - config.targetLeadMs <= now && now < t.readyBy);
  if (due) triggered.push(due.id);
  trigger ??= due ? 'target_due' : null;

  let pending = base.pending;
  let expired: PendingTrigger | null = null;
  if (pending && now - pending.since > config.pendingTtlMs) {
    expired = pending;
    pending = null;
  }
  let retry = false;
  if (trigger) pending = { reason: trigger, since: now, attempts: 0 };
  else if (pending) {
    trigger = pending.reason;
    retry = true;
  }

  const woke = online && base.power !== 'online';
  const record: ScoutRecord = {
    ...base,
    place,
    power: vehicle.state,
    lastSeenAt: now,
    lastDataAt: snap ? now : base.lastDataAt,
    quietReads: snap ? (changed || woke ? 0 : base.quietReads + 1) : base.quietReads,
    batteryLevel: snap?.batteryLevel ?? base.batteryLevel,
    pending,
    targetsTriggered: triggered,
  };
  return { callVehicleData: false, trigger, retry, expired, record };
}

/** After the Worker call: success clears the pending trigger, failure keeps it for the next tick. */
export function settle(record: ScoutRecord, ok: boolean): ScoutRecord {
  if (!record.pending) return record;
  return ok ? { ...record, pending: null } : { ...record, pending: { ...record.pending, attempts: record.pending.attempts + 1 } };
}
