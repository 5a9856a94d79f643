import { localTime, nextBoundary, type LocalTime } from './localtime.js';
import { appliesAt, boundaryMinutes, inWindow, startsAt, type ChargeSchedule } from './schedules.js';

/**
 * One simulated car: battery, plug, location, sleep and charging. There are no timers: every read first
 * brings the car up to the simulator clock with `advance`, which integrates charging segment by segment
 * (schedule boundaries, reaching the limit, a pending wake-up) so that a ManualClock jumping a day ahead
 * gives the same car as a day of real time.
 *
 * Power rules (TESLA.md "Vehicle behaviour"):
 * - a car is online while `now < lastActiveAt + sleepAfter`; data requests, commands, wake-ups, plugging in,
 *   driving and charging all move lastActiveAt; list and vehicle reads do not;
 * - a wake_up takes wakeDelay before the car is online; repeated wake_ups do not restart the delay.
 * Charging rules:
 * - plugged in and below the limit, the car charges when a session runs (charge_start, plugging in with no
 *   schedule that applies here, or a start-only schedule firing) or a schedule window is open;
 * - charge_stop inside a window suppresses that window until it closes.
 */

export type Latch = 'manual' | 'plugin' | 'schedule';
export type AsleepLabel = 'asleep' | 'offline';

export interface Vehicle {
  id: number;
  vehicleId: number;
  vin: string;
  displayName: string;
  accountId: string;
  /** State of charge in percent, fractional while charging; clients see it rounded down. */
  battery: number;
  chargeLimitSoc: number;
  pluggedIn: boolean;
  latitude: number;
  longitude: number;
  heading: number;
  chargerPowerKw: number;
  capacityKwh: number;
  lastActiveAt: number;
  wakeReadyAt: number | null;
  /** What list calls say while the car sleeps; many recent cars say "offline". */
  asleepLabel: AsleepLabel;
  latch: Latch | null;
  suppressedUntil: number;
  energyAddedKwh: number;
  schedules: ChargeSchedule[];
  /** The owner's preconditioning schedules: only kept and reported; no charge-schedule command touches them. */
  preconditioningSchedules: PreconditioningSchedule[];
  /** The simulator time up to which charging has been integrated. */
  integratedTo: number;
  odometerMi: number;
}

/** A preconditioning schedule as Tesla reports it (`precondition_time` in minutes after local midnight). */
export interface PreconditioningSchedule {
  id: number;
  /** Bitmask, Sunday = 1 … Saturday = 64, like charge schedules. */
  days_of_week: number;
  enabled: boolean;
  latitude: number;
  longitude: number;
  precondition_time: number;
  one_time: boolean;
}

export interface VehicleEnv {
  timeZone: string;
  sleepAfterMs: number;
  wakeDelayMs: number;
}

export const DEFAULT_HOME = { latitude: 52.2297, longitude: 21.0122 };
export const DEFAULT_CHARGER_KW = 11;
export const DEFAULT_CAPACITY_KWH = 75;

const HOUR = 3_600_000;

/** Whether any schedule applies where the car stands (regardless of the time of day). */
export function hasApplicableSchedule(v: Vehicle, t: number): boolean {
  return v.schedules.some((s) => appliesAt(s, v.latitude, v.longitude, t));
}

function windowOpen(v: Vehicle, t: number, lt: LocalTime): boolean {
  return v.schedules.some((s) => appliesAt(s, v.latitude, v.longitude, t) && inWindow(s, lt));
}

/** The car wants energy at time t (whether or not the charger delivers any). */
export function wantsCharge(v: Vehicle, t: number, lt: LocalTime): boolean {
  if (!v.pluggedIn || v.battery >= v.chargeLimitSoc) return false;
  return v.latch !== null || (t >= v.suppressedUntil && windowOpen(v, t, lt));
}

function settleWake(v: Vehicle, t: number): void {
  if (v.wakeReadyAt !== null && v.wakeReadyAt <= t) {
    v.lastActiveAt = Math.max(v.lastActiveAt, v.wakeReadyAt);
    v.wakeReadyAt = null;
  }
}

function fireStartSchedules(v: Vehicle, t: number, lt: LocalTime): void {
  const minuteStart = t - (t % 60_000);
  for (const s of v.schedules) {
    if (!startsAt(s, lt) || !appliesAt(s, v.latitude, v.longitude, t)) continue;
    if (s.last_fired_at === minuteStart) continue;
    s.last_fired_at = minuteStart;
    if (v.latch === null) v.latch = 'schedule';
  }
}

/** Brings the car from `integratedTo` up to `now`. Idempotent; never moves backwards. */
export function advance(v: Vehicle, now: number, env: VehicleEnv): void {
  let t = v.integratedTo;
  while (t < now) {
    settleWake(v, t);
    const wakeAt = v.wakeReadyAt ?? Number.POSITIVE_INFINITY;
    if (v.pluggedIn && v.battery >= v.chargeLimitSoc) v.latch = null;
    // Fast path: nothing can start or stop charging before the next wake event.
    if (!v.pluggedIn || v.battery >= v.chargeLimitSoc || (v.latch === null && !hasApplicableSchedule(v, t))) {
      t = Math.min(now, wakeAt);
      continue;
    }
    const lt = localTime(t, env.timeZone);
    fireStartSchedules(v, t, lt);
    let end = Math.min(now, wakeAt, nextBoundary(t, lt, boundaryMinutes(v.schedules)));
    if (v.suppressedUntil > t) end = Math.min(end, v.suppressedUntil);
    if (wantsCharge(v, t, lt) && v.chargerPowerKw > 0) {
      const percentPerMs = ((v.chargerPowerKw / v.capacityKwh) * 100) / HOUR;
      const full = t + Math.max(1, Math.ceil((v.chargeLimitSoc - v.battery) / percentPerMs));
      end = Math.min(end, full);
      const dt = end - t;
      v.battery = Math.min(v.chargeLimitSoc, v.battery + percentPerMs * dt);
      v.energyAddedKwh += (v.chargerPowerKw * dt) / HOUR;
      if (end >= full) {
        v.battery = v.chargeLimitSoc;
        v.latch = null;
      }
      // A charging car stays awake; its idle time starts when charging ends.
      v.lastActiveAt = Math.max(v.lastActiveAt, end);
    }
    t = end;
  }
  settleWake(v, now);
  if (now > v.integratedTo) v.integratedTo = now;
  // One-time schedules that are used up disappear from the car.
  if (v.schedules.some((s) => s.expires_at !== null && s.expires_at <= now)) {
    v.schedules = v.schedules.filter((s) => s.expires_at === null || s.expires_at > now);
  }
}

export function isOnline(v: Vehicle, now: number, env: VehicleEnv): boolean {
  return now < v.lastActiveAt + env.sleepAfterMs;
}

export function powerState(v: Vehicle, now: number, env: VehicleEnv): 'online' | AsleepLabel {
  return isOnline(v, now, env) ? 'online' : v.asleepLabel;
}

export function isCharging(v: Vehicle, now: number, env: VehicleEnv): boolean {
  return v.chargerPowerKw > 0 && wantsCharge(v, now, localTime(now, env.timeZone));
}

export type ChargingState = 'Disconnected' | 'Stopped' | 'NoPower' | 'Charging' | 'Complete';

export function chargingState(v: Vehicle, now: number, env: VehicleEnv): ChargingState {
  if (!v.pluggedIn) return 'Disconnected';
  if (v.battery >= v.chargeLimitSoc) return 'Complete';
  if (wantsCharge(v, now, localTime(now, env.timeZone))) return v.chargerPowerKw > 0 ? 'Charging' : 'NoPower';
  return 'Stopped';
}

/** A data request or command: keeps an online car awake (callers check it is online first). */
export function touch(v: Vehicle, now: number): void {
  v.lastActiveAt = Math.max(v.lastActiveAt, now);
}

/** wake_up: online after the wake delay; an online car just stays awake. Returns true if it was asleep. */
export function requestWake(v: Vehicle, now: number, env: VehicleEnv): boolean {
  if (isOnline(v, now, env)) {
    touch(v, now);
    return false;
  }
  if (v.wakeReadyAt === null) {
    if (env.wakeDelayMs === 0) touch(v, now);
    else v.wakeReadyAt = now + env.wakeDelayMs;
  }
  return true;
}

/**
 * Plug in or out. Plugging in wakes the car and, when no schedule applies here, starts charging at once
 * (TESLA.md: with no schedule the car charges as soon as it is plugged in).
 */
export function setPlugged(v: Vehicle, plugged: boolean, now: number): void {
  if (plugged === v.pluggedIn) return;
  v.pluggedIn = plugged;
  touch(v, now);
  v.suppressedUntil = 0;
  if (plugged) {
    v.energyAddedKwh = 0;
    v.latch = hasApplicableSchedule(v, now) ? null : 'plugin';
  } else {
    v.latch = null;
  }
}

/** End of the schedule window open at `from` (epoch ms), for charge_stop's suppression. */
export function windowEnd(v: Vehicle, from: number, env: VehicleEnv): number {
  const minutes = boundaryMinutes(v.schedules);
  const limit = from + 8 * 86_400_000;
  let t = from;
  while (t < limit) {
    const lt = localTime(t, env.timeZone);
    if (!windowOpen(v, t, lt)) return t;
    t = nextBoundary(t, lt, minutes);
  }
  return limit;
}
