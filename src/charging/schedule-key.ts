/**
 * Charge schedules compared by CONTENT (what the car will do), never by the history of what was sent: two
 * cycles that both think they must add a schedule then still agree on the result.
 */
import type { CarChargeSchedule } from '../tesla/vehicle-data.js';
import type { ChargeScheduleArgs } from '../tesla/fleet.js';

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
export const ALL_DAYS_MASK = 127;

/** "All", "Weekdays", "Weekends", "Monday,Tue" or a bitmask (Sunday = 1 … Saturday = 64) → bitmask; 0 if unreadable. */
export function daysMask(days: number | string): number {
  if (typeof days === 'number') return Number.isInteger(days) && days > 0 && days <= ALL_DAYS_MASK ? days : 0;
  let mask = 0;
  for (const raw of days.split(',')) {
    const word = raw.trim().toLowerCase();
    if (word === 'all' || word === 'everyday' || word === 'daily') mask |= ALL_DAYS_MASK;
    else if (word === 'weekdays') mask |= 0b0111110;
    else if (word === 'weekends') mask |= 0b1000001;
    else {
      const i = DAY_NAMES.findIndex((d) => word.length >= 3 && d.startsWith(word));
      if (i < 0) return 0;
      mask |= 1 << i;
    }
  }
  return mask;
}

/** The content of a schedule in the car's terms, whatever form it came in: days as a bitmask, no id. */
export type ScheduleContent = Omit<CarChargeSchedule, 'id' | 'daysOfWeek'> & { days: number };

/** The body of add_charge_schedule, as the Tesla client sends it. */
export type ScheduleParams = ChargeScheduleArgs;

export const contentOfParams = (p: ScheduleParams): ScheduleContent => ({
  days: daysMask(p.days_of_week),
  enabled: p.enabled,
  startEnabled: p.start_enabled,
  startTime: p.start_time,
  endEnabled: p.end_enabled,
  endTime: p.end_time,
  oneTime: p.one_time,
  lat: p.lat,
  lon: p.lon,
});

export const contentOfCar = (s: CarChargeSchedule): ScheduleContent => ({
  days: daysMask(s.daysOfWeek),
  enabled: s.enabled,
  startEnabled: s.startEnabled,
  startTime: s.startTime,
  endEnabled: s.endEnabled,
  endTime: s.endTime,
  oneTime: s.oneTime,
  lat: s.lat,
  lon: s.lon,
});

/** Equal keys = the car does the same thing. Coordinates to ~1 m: the car may round what it stores. */
export function contentKey(c: ScheduleContent): string {
  const t = (on: boolean, minute: number) => (on ? String(minute) : '-');
  return [c.days, c.enabled ? 1 : 0, t(c.startEnabled, c.startTime), t(c.endEnabled, c.endTime), c.oneTime ? 1 : 0, c.lat.toFixed(5), c.lon.toFixed(5)].join('|');
}

/** One weekday's part of a schedule's window: [from, to) minutes after that day's midnight. */
export interface DaySegment {
  weekday: number;
  from: number;
  to: number;
}

/**
 * A schedule's charging window split per weekday. A window that crosses midnight (start > end, or end 0 =
 * the next midnight) becomes two parts, so 23:00-01:00 and 00:30-02:00 are seen to overlap: the original
 * compared whole windows and missed exactly that.
 */
export function daySegments(c: ScheduleContent): DaySegment[] {
  if (!c.enabled) return [];
  const out: DaySegment[] = [];
  const start = c.startEnabled ? c.startTime : 0;
  const end = c.endEnabled ? c.endTime : 1440;
  for (let day = 0; day < 7; day++) {
    if ((c.days & (1 << day)) === 0) continue;
    if (end > start) out.push({ weekday: day, from: start, to: end });
    else {
      out.push({ weekday: day, from: start, to: 1440 });
      if (end > 0) out.push({ weekday: (day + 1) % 7, from: 0, to: end });
    }
  }
  return out;
}

export function windowsOverlap(a: ScheduleContent, b: ScheduleContent): boolean {
  const sb = daySegments(b);
  return daySegments(a).some((x) => sb.some((y) => x.weekday === y.weekday && x.from < y.to && y.from < x.to));
}
