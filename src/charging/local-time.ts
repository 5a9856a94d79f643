import { Temporal } from 'temporal-polyfill';

/** The next instant after `now` at which the home clock shows `hhmm` (DST-safe: wall time, not +24 h). */
export function nextLocalTime(now: number, hhmm: string, timeZone: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm.trim());
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new RangeError(`"${hhmm}" is not a time HH:MM`);
  const here = Temporal.Instant.fromEpochMilliseconds(now).toZonedDateTimeISO(timeZone);
  const at = (d: Temporal.PlainDate) =>
    d.toZonedDateTime({ timeZone, plainTime: new Temporal.PlainTime(Number(m[1]), Number(m[2])) }).epochMilliseconds;
  const today = at(here.toPlainDate());
  return today > now ? today : at(here.toPlainDate().add({ days: 1 }));
}
