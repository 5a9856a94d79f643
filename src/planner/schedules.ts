/**
 * Windows → Tesla charge schedules (`add_charge_schedule`, TESLA.md): times are wall-clock minutes after LOCAL
 * midnight in the home time zone, which is what the car's clock shows. Rules, each from an incident of the
 * original system:
 *   - every schedule is one_time and carries the local DATE it is for (`date`, plus the weekday in days_of_week):
 *     a slot for tomorrow must not fire today, and an ended slot is never sent;
 *   - a window crossing local midnight is split into one schedule per local day, so schedules compare per day;
 *     a part that ends exactly at midnight has end_time 0 (the car's "00:00", i.e. the end of that day);
 *   - end_enabled is always true: a schedule without an end charged to full;
 *   - a plan with no window still yields one schedule (kind "hold"), because a car with no schedule at all starts
 *     charging as soon as it is plugged in, and a car that holds an enabled schedule does not start on its own
 *     outside it. The hold is a one-minute, one-time window ending at readyBy (or 24 h ahead when readyBy is
 *     too close): during that minute the car charges at most power × 1 min, and only if below its charge limit.
 * DST: start_time/end_time are wall-clock minutes; the car is assumed to charge while its clock is inside the
 * window. Mapping them back (scheduleInstants) gives exactly the planned instants, except when a window edge falls
 * in the repeated autumn hour (02:00-03:00 twice in Warsaw): the wall clock cannot tell the two readings apart, so
 * that edge is widened to the whole repeated hour (start 02:00, end 03:00) and the schedule covers the plan under
 * either reading. Edges in the skipped spring hour cannot occur: no instant has such a wall time.
 */
import { Temporal } from 'temporal-polyfill';
import { instantAt, MINUTE_MS, repeatedWallRange, startOfDay, wallMinutes, weekdayName, zoned } from '../tariff/local-time.js';
import type { Interval } from './windows.js';

/** The body of Tesla's add_charge_schedule command (no id: always a new schedule). */
export interface AddChargeScheduleParams {
  days_of_week: string;
  enabled: true;
  start_enabled: true;
  start_time: number;
  end_enabled: true;
  end_time: number;
  lat: number;
  lon: number;
  one_time: true;
}

export interface PlannedSchedule {
  /** 'charge': a planned window (or the part of it on one local day). 'hold': only keeps the car from charging. */
  kind: 'charge' | 'hold';
  /** The local date (home time zone) the schedule is for, YYYY-MM-DD. */
  date: string;
  /** The instants the schedule stands for, epoch ms. */
  start: number;
  end: number;
  params: AddChargeScheduleParams;
}

export interface ScheduleOptions {
  timeZone: string;
  /** Home location: Tesla applies a schedule only where the car is near lat/lon. */
  lat: number;
  lon: number;
}

interface DayPart {
  date: Temporal.PlainDate;
  start: number;
  end: number;
}

/** [start, end) cut at local midnights; a part covering a whole day is cut at noon (start_time = end_time is ambiguous). */
export function splitByLocalDay(start: number, end: number, timeZone: string): DayPart[] {
  const parts: DayPart[] = [];
  let t = start;
  while (t < end) {
    const date = zoned(t, timeZone).toPlainDate();
    const dayStart = startOfDay(date, timeZone);
    const nextDay = startOfDay(date.add({ days: 1 }), timeZone);
    const partEnd = Math.min(end, nextDay);
    if (t === dayStart && partEnd === nextDay) {
      const noon = instantAt(date, 720, timeZone);
      parts.push({ date, start: t, end: noon }, { date, start: noon, end: partEnd });
    } else {
      parts.push({ date, start: t, end: partEnd });
    }
    t = partEnd;
  }
  return parts;
}

function toSchedule(kind: PlannedSchedule['kind'], part: DayPart, o: ScheduleOptions): PlannedSchedule {
  const nextDay = startOfDay(part.date.add({ days: 1 }), o.timeZone);
  // Rounded outward to whole minutes: the car gets at least the planned time and stops at its limit anyway. The
  // end is read just before it, so a part ending at a DST switch keeps the wall time it had (03:00, not 02:00).
  let startMinute = Math.floor(wallMinutes(zoned(part.start, o.timeZone)));
  let endMinute = part.end >= nextDay ? 1440 : Math.ceil(wallMinutes(zoned(part.end - 1, o.timeZone)));
  // An edge inside the repeated autumn hour is ambiguous on the car's clock: widen to the whole repeated hour, so
  // either reading covers the planned time (the car may start up to an hour early; it never ends short).
  const startRepeat = repeatedWallRange(part.start, o.timeZone);
  if (startRepeat) startMinute = startRepeat.from;
  const endRepeat = part.end < nextDay ? repeatedWallRange(part.end - 1, o.timeZone) : null;
  if (endRepeat) endMinute = endRepeat.to;
  return {
    kind,
    date: part.date.toString(),
    start: part.start,
    end: part.end,
    params: {
      days_of_week: weekdayName(part.date),
      enabled: true,
      start_enabled: true,
      start_time: startMinute,
      end_enabled: true,
      end_time: endMinute >= 1440 ? 0 : endMinute,
      lat: o.lat,
      lon: o.lon,
      one_time: true,
    },
  };
}

/** One schedule per window and local day, in time order. */
export function windowsToSchedules(windows: readonly Interval[], o: ScheduleOptions): PlannedSchedule[] {
  return [...windows]
    .sort((a, b) => a.start - b.start)
    .flatMap((w) => splitByLocalDay(w.start, w.end, o.timeZone).map((p) => toSchedule('charge', p, o)));
}

/** The schedule that keeps a car from charging on plug-in when the plan has nothing to charge. */
export function holdSchedule(now: number, readyBy: number, o: ScheduleOptions): PlannedSchedule {
  const target = readyBy - now >= 2 * MINUTE_MS ? readyBy : now + 24 * 3_600_000;
  const end = Math.floor(target / MINUTE_MS) * MINUTE_MS;
  const part = splitByLocalDay(end - MINUTE_MS, end, o.timeZone)[0] as DayPart;
  return toSchedule('hold', part, o);
}

/** The schedules to hold in the car for a plan: its windows, or a hold when there are none. */
export function planSchedules(windows: readonly Interval[], now: number, readyBy: number, o: ScheduleOptions): PlannedSchedule[] {
  const schedules = windowsToSchedules(windows, o);
  return schedules.length > 0 ? schedules : [holdSchedule(now, readyBy, o)];
}

/**
 * The instants a schedule means on the car's clock: `date` at start_time; end_time on the same date, or on the
 * next date when it is not after start_time (0 = the next midnight).
 */
export function scheduleInstants(
  s: { date: string; params: Pick<AddChargeScheduleParams, 'start_time' | 'end_time'> },
  timeZone: string,
): { start: number; end: number } {
  const date = Temporal.PlainDate.from(s.date);
  const start = instantAt(date, s.params.start_time, timeZone);
  const end =
    s.params.end_time > s.params.start_time
      ? instantAt(date, s.params.end_time, timeZone)
      : instantAt(date.add({ days: 1 }), s.params.end_time, timeZone);
  return { start, end };
}
