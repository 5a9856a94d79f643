/**
 * Local wall-clock time of the cars, for charge schedules (minutes after local midnight, days of the week).
 * Intl only, no timers: the simulator computes everything lazily from its clock.
 *
 * Stepping relies on two facts of the tz database: UTC offsets are whole minutes, and offset changes
 * (daylight saving) happen on UTC quarter hours. Inside one UTC quarter hour local time therefore moves in
 * step with UTC, which lets the charging model jump from one schedule boundary to the next exactly, DST
 * nights included, without walking minute by minute.
 */

export interface LocalTime {
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Whole minutes after local midnight, 0…1439. */
  minute: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', weekday: 'short', hour: '2-digit', minute: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

export function localTime(epochMs: number, timeZone: string): LocalTime {
  let weekday = 0;
  let hour = 0;
  let minute = 0;
  for (const part of formatter(timeZone).formatToParts(epochMs)) {
    if (part.type === 'weekday') weekday = WEEKDAYS[part.value] ?? 0;
    else if (part.type === 'hour') hour = Number(part.value) % 24;
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { weekday, minute: hour * 60 + minute };
}

const MINUTE = 60_000;
const QUARTER = 15 * MINUTE;

/**
 * The first instant after `t` at which local time reaches one of `minutes` (minutes after midnight) or
 * local midnight, or the end of t's UTC quarter hour, whichever comes first. Always > t.
 */
export function nextBoundary(t: number, lt: LocalTime, minutes: readonly number[]): number {
  const minuteStart = t - (((t % MINUTE) + MINUTE) % MINUTE);
  let best = Math.floor(t / QUARTER) * QUARTER + QUARTER;
  const consider = (m: number) => {
    if (m > lt.minute) best = Math.min(best, minuteStart + (m - lt.minute) * MINUTE);
  };
  consider(1440);
  for (const m of minutes) consider(m);
  return best;
}
