import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { holdSchedule, planSchedules, scheduleInstants, windowsToSchedules, type PlannedSchedule } from '../../src/planner/schedules.js';
import { planCharging } from '../../src/planner/plan.js';
import { presetTariff } from '../../src/tariff/presets.js';
import { repeatedWallRange } from '../../src/tariff/local-time.js';

fc.configureGlobal({ ...fc.readConfigureGlobal(), interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true });

const WARSAW = { timeZone: 'Europe/Warsaw', lat: 52.2297, lon: 21.0122 };
const H = 3_600_000;
const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);
const brief = (s: PlannedSchedule) => [s.date, s.params.days_of_week, s.params.start_time, s.params.end_time];
const mappedHours = (list: PlannedSchedule[], tz = 'Europe/Warsaw') =>
  list.map((s) => scheduleInstants(s, tz)).reduce((n, i) => n + (i.end - i.start), 0) / H;

describe('windows → Tesla schedules', () => {
  it('splits 22:00→06:00 at local midnight, keeps dates, and maps back to 7 h / 9 h on the DST nights', () => {
    const spring = windowsToSchedules([{ start: at('2026-03-28T22:00:00+01:00'), end: at('2026-03-29T06:00:00+02:00') }], WARSAW);
    expect(spring.map(brief)).toEqual([
      ['2026-03-28', 'Saturday', 1320, 0],
      ['2026-03-29', 'Sunday', 0, 360],
    ]);
    expect(mappedHours(spring)).toBe(7);
    const autumn = windowsToSchedules([{ start: at('2026-10-24T22:00:00+02:00'), end: at('2026-10-25T06:00:00+01:00') }], WARSAW);
    expect(autumn.map(brief)).toEqual([
      ['2026-10-24', 'Saturday', 1320, 0],
      ['2026-10-25', 'Sunday', 0, 360],
    ]);
    expect(mappedHours(autumn)).toBe(9);
  });

  it('always sets end_enabled, enabled, start_enabled, one_time and the home location', () => {
    const list = windowsToSchedules([{ start: at('2026-05-01T13:00:00+02:00'), end: at('2026-05-01T14:30:00+02:00') }], WARSAW);
    expect(list).toEqual([
      {
        kind: 'charge',
        date: '2026-05-01',
        start: at('2026-05-01T13:00:00+02:00'),
        end: at('2026-05-01T14:30:00+02:00'),
        params: { days_of_week: 'Friday', enabled: true, start_enabled: true, start_time: 780, end_enabled: true, end_time: 870, lat: 52.2297, lon: 21.0122, one_time: true },
      },
    ]);
  });

  it('cuts a whole local day at noon, since start_time = end_time would be ambiguous', () => {
    const list = windowsToSchedules([{ start: at('2026-05-01T20:00:00+02:00'), end: at('2026-05-03T02:00:00+02:00') }], WARSAW);
    expect(list.map(brief)).toEqual([
      ['2026-05-01', 'Friday', 1200, 0],
      ['2026-05-02', 'Saturday', 0, 720],
      ['2026-05-02', 'Saturday', 720, 0],
      ['2026-05-03', 'Sunday', 0, 120],
    ]);
  });

  it('widens an edge inside the repeated autumn hour to the whole hour (either reading of the clock then covers the plan)', () => {
    // Planned 00:00 CEST → 02:22 CET: 3 h 22 min. "00:00-02:22" could end an hour early on the car's clock.
    const w = { start: at('2026-10-25T00:00:00+02:00'), end: at('2026-10-25T02:22:00+01:00') };
    const [s] = windowsToSchedules([w], WARSAW);
    expect(brief(s!)).toEqual(['2026-10-25', 'Sunday', 0, 180]);
    const back = scheduleInstants(s!, 'Europe/Warsaw');
    expect(back.start).toBe(w.start);
    expect(back.end).toBeGreaterThanOrEqual(w.end);
    // And one that spans the switch with both edges in the repeated hour never reads as "until tomorrow".
    const [t] = windowsToSchedules([{ start: at('2026-10-25T02:50:00+02:00'), end: at('2026-10-25T02:10:00+01:00') }], WARSAW);
    expect(brief(t!)).toEqual(['2026-10-25', 'Sunday', 120, 180]);
  });

  it('starts a day where it starts: 01:00 where DST begins at midnight (America/Santiago)', () => {
    const tz = { ...WARSAW, timeZone: 'America/Santiago' };
    const dayStart = Temporal.PlainDate.from('2026-09-06').toZonedDateTime({ timeZone: tz.timeZone });
    expect(dayStart.hour).toBe(1);
    const list = windowsToSchedules([{ start: dayStart.epochMilliseconds - 2 * H, end: dayStart.epochMilliseconds + 2 * H }], tz);
    expect(list.map(brief)).toEqual([
      ['2026-09-05', 'Saturday', 1320, 0],
      ['2026-09-06', 'Sunday', 60, 180],
    ]);
    expect(mappedHours(list, tz.timeZone)).toBe(4);
  });

  it('property: schedules are per local day, valid, and map back to the planned instants', () => {
    const zones = ['Europe/Warsaw', 'Europe/London', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'Asia/Kolkata'];
    const from = at('2026-01-01T00:00:00Z') / MIN;
    // Offset changes of 2026 per zone: windows are drawn around them half of the time.
    const transitions = new Map(
      zones.map((tz) => {
        const list: number[] = [];
        let z: Temporal.ZonedDateTime | null = Temporal.Instant.from('2026-01-01T00:00:00Z').toZonedDateTimeISO(tz);
        while ((z = z.getTimeZoneTransition('next')) && z.year === 2026) list.push(z.epochMilliseconds / MIN - from);
        return [tz, list.length ? list : [0]];
      }),
    );
    const startArb = (tz: string) =>
      fc.oneof(
        fc.integer({ min: 0, max: 365 * 24 * 60 }),
        fc.tuple(fc.constantFrom(...transitions.get(tz)!), fc.integer({ min: -180, max: 180 })).map(([t, d]) => Math.max(0, t + d)),
      );
    fc.assert(
      fc.property(
        fc.constantFrom(...zones).chain((tz) =>
          fc.tuple(fc.constant(tz), fc.array(fc.tuple(startArb(tz), fc.integer({ min: 1, max: 40 * 60 })), { minLength: 1, maxLength: 3 })),
        ),
        ([timeZone, raw]) => {
          // Disjoint windows on whole minutes.
          const windows: { start: number; end: number }[] = [];
          for (const w of raw.map(([s, len]) => ({ start: (from + s) * MIN, end: (from + s + len) * MIN })).sort((a, b) => a.start - b.start)) {
            if (windows.length === 0 || w.start > windows[windows.length - 1]!.end) windows.push(w);
          }
          const list = windowsToSchedules(windows, { timeZone, lat: 0, lon: 0 });
          for (const s of list) {
            const p = s.params;
            expect(p.enabled && p.start_enabled && p.end_enabled && p.one_time).toBe(true);
            expect(Number.isInteger(p.start_time) && p.start_time >= 0 && p.start_time < 1440).toBe(true);
            expect(Number.isInteger(p.end_time) && p.end_time >= 0 && p.end_time < 1440).toBe(true);
            expect(p.end_time === 0 || p.end_time > p.start_time).toBe(true);
            const local = Temporal.Instant.fromEpochMilliseconds(s.start).toZonedDateTimeISO(timeZone);
            expect(s.date).toBe(local.toPlainDate().toString());
            expect(p.days_of_week).toBe(local.toLocaleString('en-US', { weekday: 'long' }));
            const back = scheduleInstants(s, timeZone);
            const ambiguousStart = repeatedWallRange(s.start, timeZone) !== null;
            const ambiguousEnd = repeatedWallRange(s.end - 1, timeZone) !== null;
            if (!ambiguousStart) expect(back.start).toBe(s.start);
            else expect(back.start).toBeLessThanOrEqual(s.start);
            if (!ambiguousEnd) expect(back.end).toBe(s.end);
            else expect(back.end).toBeGreaterThanOrEqual(s.end);
          }
          // Every window is exactly tiled by its schedules' parts.
          for (const w of windows) {
            const parts = list.filter((s) => s.start >= w.start && s.end <= w.end);
            expect(parts[0]!.start).toBe(w.start);
            expect(parts[parts.length - 1]!.end).toBe(w.end);
            parts.forEach((p, i) => i > 0 && expect(p.start).toBe(parts[i - 1]!.end));
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('"no charging now" still holds a schedule', () => {
  it('gives a one-minute hold ending at readyBy when the plan has no window', async () => {
    const g12 = presetTariff('g12');
    const now = at('2026-05-01T18:00:00+02:00');
    const readyBy = at('2026-05-02T07:00:00+02:00');
    const plan = planCharging({ slots: await g12.pricesBetween(now, readyBy), now, readyBy, socPercent: 85, targetPercent: 80, capacityKwh: 75, powerKw: 11 });
    expect(plan.windows).toEqual([]);
    const list = planSchedules(plan.windows, now, readyBy, WARSAW);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ kind: 'hold', date: '2026-05-02', start: readyBy - MIN, end: readyBy });
    expect(list[0]!.params).toMatchObject({ start_time: 419, end_time: 420, enabled: true, end_enabled: true, one_time: true });
  });

  it('puts the hold a day ahead when readyBy is too close, never at now', () => {
    const now = at('2026-05-01T18:00:30+02:00');
    const hold = holdSchedule(now, now + 30_000, WARSAW);
    expect(hold.start).toBeGreaterThan(now + 23 * H);
    expect(hold.end - hold.start).toBe(MIN);
  });

  it('uses charge schedules (no hold) when the plan charges later', () => {
    const w = [{ start: at('2026-05-01T23:00:00+02:00'), end: at('2026-05-02T01:00:00+02:00') }];
    expect(planSchedules(w, at('2026-05-01T18:00:00+02:00'), at('2026-05-02T07:00:00+02:00'), WARSAW).map((s) => s.kind)).toEqual(['charge', 'charge']);
  });
});
