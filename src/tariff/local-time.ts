/**
 * Local wall-clock helpers on top of Temporal. Everything that speaks "22:00" or "minutes after local midnight"
 * goes through here, so DST is handled in one place: 22:00→06:00 in Warsaw is 7 h on the spring night and 9 h
 * on the autumn night, and never an hour off.
 */
import { Temporal } from 'temporal-polyfill';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DEFAULT_TIME_ZONE = 'Europe/Warsaw';

export type Disambiguation = 'compatible' | 'earlier' | 'later';

export function isValidTimeZone(timeZone: string): boolean {
  try {
    Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function zoned(epochMs: number, timeZone: string): Temporal.ZonedDateTime {
  return Temporal.Instant.fromEpochMilliseconds(epochMs).toZonedDateTimeISO(timeZone);
}

/** "HH:MM" (00:00-23:59, and 24:00 when `allow24`) → minutes after midnight, or null when malformed. */
export function parseHhMm(text: string, allow24 = false): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59) return null;
  if (h === 24 && min === 0 && allow24) return 1440;
  if (h > 23) return null;
  return h * 60 + min;
}

export function formatHhMm(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** Wall-clock minutes after local midnight (with the fraction of a minute), as a car's clock shows them. */
export function wallMinutes(z: Temporal.ZonedDateTime): number {
  return z.hour * 60 + z.minute + z.second / 60 + z.millisecond / 60_000;
}

/**
 * The instant of wall-clock `minutes` (0..1440) on a local date. 1440 is the next midnight. Wall times skipped by
 * a DST change map after the gap and repeated ones to the first occurrence ('compatible'), unless told otherwise.
 */
export function instantAt(
  date: Temporal.PlainDate,
  minutes: number,
  timeZone: string,
  disambiguation: Disambiguation = 'compatible',
): number {
  if (minutes >= 1440) return startOfDay(date.add({ days: 1 }), timeZone);
  const hour = Math.floor(minutes / 60);
  const minute = Math.floor(minutes % 60);
  return date
    .toPlainDateTime({ hour, minute })
    .toZonedDateTime(timeZone, { disambiguation })
    .toInstant().epochMilliseconds;
}

/** The first instant of a local date (not always 00:00 where DST changes at midnight). */
export function startOfDay(date: Temporal.PlainDate, timeZone: string): number {
  return date.toZonedDateTime({ timeZone }).toInstant().epochMilliseconds;
}

/** ISO 8601 with the UTC offset of the home time zone and no zone name: 2026-03-29T03:00:00+02:00. */
export function formatLocalIso(epochMs: number, timeZone: string): string {
  return zoned(epochMs, timeZone).toString({ timeZoneName: 'never', smallestUnit: 'second' });
}

export const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

/** Temporal's dayOfWeek (1 = Monday … 7 = Sunday) → the English name Tesla's `days_of_week` uses. */
export function weekdayName(date: Temporal.PlainDate): string {
  return WEEKDAY_NAMES[date.dayOfWeek - 1] as string;
}

/** The DST (or other offset) transitions in (startMs, endMs), as instants. */
export function offsetTransitions(startMs: number, endMs: number, timeZone: string): number[] {
  const out: number[] = [];
  let z: Temporal.ZonedDateTime | null = zoned(startMs, timeZone);
  while (z) {
    z = z.getTimeZoneTransition('next');
    if (!z || z.epochMilliseconds >= endMs) break;
    out.push(z.epochMilliseconds);
  }
  return out;
}

/**
 * When the wall-clock time of `epochMs` occurs twice that day (the autumn switch back), the repeated wall-clock
 * range in minutes, e.g. {from: 120, to: 180} for 02:00-03:00 in Warsaw; otherwise null.
 */
export function repeatedWallRange(epochMs: number, timeZone: string): { from: number; to: number } | null {
  const wall = zoned(epochMs, timeZone).toPlainDateTime();
  const first = wall.toZonedDateTime(timeZone, { disambiguation: 'earlier' });
  const second = wall.toZonedDateTime(timeZone, { disambiguation: 'later' });
  if (first.epochMilliseconds === second.epochMilliseconds) return null;
  // +1 ms: 'previous' is strictly before, and the second reading may be the switch instant itself.
  const switchBack = second.add({ milliseconds: 1 }).getTimeZoneTransition('previous');
  if (!switchBack) return null;
  return {
    from: Math.floor(wallMinutes(switchBack)),
    to: Math.ceil(wallMinutes(zoned(switchBack.epochMilliseconds - 1, timeZone))),
  };
}
