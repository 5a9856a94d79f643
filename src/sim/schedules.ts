import { localTime, nextBoundary, type LocalTime } from './localtime.js';

/**
 * Charge schedules as the car holds them (TESLA.md: add_charge_schedule / remove_charge_schedule), and
 * when they make the car charge:
 * - start and end enabled: charge inside [start, end) on the listed days (a window may cross midnight; the
 *   day is the day it starts);
 * - start only: start charging at the start time and go on until the limit (the SYSTEM.md regression "a
 *   schedule with end_enabled false kept charging to full");
 * - end only: allowed from local midnight until the end time;
 * - a schedule applies only where the car is within SCHEDULE_RADIUS_M of its lat/lon;
 * - a one-time schedule is used for its next occurrence only and disappears after it.
 */

export interface ChargeSchedule {
  id: number;
  name: string;
  /** Bitmask as the car reports it: Sunday = 1, Monday = 2, … Saturday = 64; All = 127. */
  days_of_week: number;
  enabled: boolean;
  start_enabled: boolean;
  start_time: number;
  end_enabled: boolean;
  end_time: number;
  one_time: boolean;
  latitude: number;
  longitude: number;
  /** For one-time schedules: epoch ms after which it no longer exists. Not shown to API clients. */
  expires_at: number | null;
  /** Epoch ms of the start minute at which a start-only schedule last fired (so it fires once). */
  last_fired_at: number | null;
}

/** Tesla does not publish the radius; 500 m keeps "home" a house, not a district. */
export const SCHEDULE_RADIUS_M = 500;

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
export const ALL_DAYS = 127;

/** "All", "Weekdays", "Weekends", "Monday,Tuesday", "Mon,Tue" or a bitmask 1…127; null when not understood. */
export function parseDaysOfWeek(input: unknown): number | null {
  if (typeof input === 'number') return Number.isInteger(input) && input >= 1 && input <= ALL_DAYS ? input : null;
  if (typeof input !== 'string' || input.trim() === '') return null;
  let mask = 0;
  for (const raw of input.split(',')) {
    const word = raw.trim().toLowerCase();
    if (word === 'all' || word === 'everyday' || word === 'daily') mask |= ALL_DAYS;
    else if (word === 'weekdays') mask |= 0b0111110;
    else if (word === 'weekends') mask |= 0b1000001;
    else {
      const index = DAY_NAMES.findIndex((d) => d === word || (word.length >= 3 && d.startsWith(word)));
      if (index < 0) return null;
      mask |= 1 << index;
    }
  }
  return mask;
}

const dayIn = (mask: number, weekday: number): boolean => (mask & (1 << (((weekday % 7) + 7) % 7))) !== 0;

/** Great-circle distance in metres (haversine): schedules and home are circles in metres, not degrees. */
export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Enabled, near the car, and (for one-time schedules) not used up at time t. */
export function appliesAt(s: ChargeSchedule, lat: number, lon: number, t: number): boolean {
  if (!s.enabled) return false;
  if (s.expires_at !== null && t >= s.expires_at) return false;
  return distanceM(lat, lon, s.latitude, s.longitude) <= SCHEDULE_RADIUS_M;
}

/** Whether local time `lt` is inside the schedule's charging window (start-only schedules have none). */
export function inWindow(s: ChargeSchedule, lt: LocalTime): boolean {
  if (s.start_enabled && s.end_enabled) {
    if (s.start_time === s.end_time) return false;
    if (s.start_time < s.end_time) return dayIn(s.days_of_week, lt.weekday) && lt.minute >= s.start_time && lt.minute < s.end_time;
    return (
      (dayIn(s.days_of_week, lt.weekday) && lt.minute >= s.start_time) ||
      (dayIn(s.days_of_week, lt.weekday - 1) && lt.minute < s.end_time)
    );
  }
  if (s.end_enabled) return dayIn(s.days_of_week, lt.weekday) && lt.minute < s.end_time;
  return false;
}

/** A start-only schedule fires during its start minute on a listed day. */
export function startsAt(s: ChargeSchedule, lt: LocalTime): boolean {
  return s.start_enabled && !s.end_enabled && dayIn(s.days_of_week, lt.weekday) && lt.minute === s.start_time;
}

/** Minutes after midnight at which any of these schedules may change what the car does. */
export function boundaryMinutes(schedules: readonly ChargeSchedule[]): number[] {
  const out: number[] = [];
  for (const s of schedules) {
    if (!s.enabled) continue;
    if (s.start_enabled) out.push(s.start_time, s.start_time + 1);
    if (s.end_enabled) out.push(s.end_time);
  }
  return out;
}

const WEEK_MS = 7 * 86_400_000;

/**
 * When a one-time schedule created at `from` is used up: at the end of its next window (the current one if
 * it is open now), or just after a start-only schedule's next start minute.
 */
export function oneTimeExpiry(s: ChargeSchedule, from: number, timeZone: string): number {
  const limit = from + WEEK_MS + 86_400_000;
  const minutes = boundaryMinutes([{ ...s, enabled: true }]);
  let seenOpen = false;
  let t = from;
  while (t < limit) {
    const lt = localTime(t, timeZone);
    if (startsAt(s, lt)) return t - (t % 60_000) + 60_000;
    const open = inWindow(s, lt);
    if (open) seenOpen = true;
    else if (seenOpen) return t;
    t = nextBoundary(t, lt, minutes);
  }
  return limit;
}
