import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allPresent, oursAfter, reconcile } from '../../src/charging/reconcile.js';
import { contentOfParams, daysMask, daySegments, windowsOverlap, type ScheduleParams } from '../../src/charging/schedule-key.js';
import type { CarChargeSchedule } from '../../src/tesla/vehicle-data.js';

const HOME = { lat: 52.2297, lon: 21.0122, radiusM: 150 };
const params = (start: number, end: number, days = 'Monday', at = HOME): ScheduleParams => ({
  days_of_week: days, enabled: true, start_enabled: true, start_time: start, end_enabled: true, end_time: end, lat: at.lat, lon: at.lon, one_time: true,
});
/** The car reports what it holds with ids and a bitmask of days. */
const inCar = (id: number, p: ScheduleParams): CarChargeSchedule => ({
  id, daysOfWeek: daysMask(p.days_of_week), enabled: p.enabled, startEnabled: p.start_enabled, startTime: p.start_time,
  endEnabled: p.end_enabled, endTime: p.end_time, oneTime: p.one_time, lat: p.lat, lon: p.lon,
});

describe('reconciliation by content', () => {
  it('nothing to do when the car already holds the plan', () => {
    const desired = [params(120, 300), params(1380, 0)];
    const r = reconcile({ desired, car: desired.map((p, i) => inCar(i + 1, p)), ours: [1, 2], home: HOME });
    expect(r).toEqual({ ok: true, add: [], remove: [], ownerOverlaps: [] });
  });

  it('lesson: a read error of schedules is not "no schedules" — unknown aborts, nothing is added or removed', () => {
    expect(reconcile({ desired: [params(120, 300)], car: null, ours: [1], home: HOME })).toEqual({ ok: false, reason: 'schedules_unknown' });
  });

  it("removes only our obsolete schedules: never the owner's, never one away from home", () => {
    const work = { lat: 52.4, lon: 21.2, radiusM: 0 };
    const car = [inCar(1, params(60, 120)), inCar(2, params(600, 660)), inCar(3, params(60, 120, 'Monday', work))];
    const r = reconcile({ desired: [params(120, 300)], car, ours: [1, 3], home: HOME });
    expect(r).toMatchObject({ ok: true, add: [params(120, 300)], remove: [1] });
  });

  it('an owner schedule with the same content counts as present; it is never adopted or removed', () => {
    const r = reconcile({ desired: [params(120, 300)], car: [inCar(9, params(120, 300))], ours: [], home: HOME });
    expect(r).toMatchObject({ ok: true, add: [], remove: [] });
  });

  it('lesson: two cycles that ran at once doubled schedules — duplicates of ours are removed, one kept', () => {
    const p = params(120, 300);
    const r = reconcile({ desired: [p], car: [inCar(1, p), inCar(2, p)], ours: [1, 2], home: HOME });
    expect(r).toMatchObject({ ok: true, add: [], remove: [2] });
  });

  it('lesson: preconditioning schedules are never touched (they are not charge schedules)', () => {
    // A preconditioning schedule is never in the charge list the reconciler gets; even an id recorded as ours
    // that is not a charge schedule in the car produces no removal.
    const r = reconcile({ desired: [params(120, 300)], car: [], ours: [77], home: HOME });
    expect(r).toMatchObject({ ok: true, remove: [] });
  });

  it('lesson: a window crossing midnight overlaps the next morning — windows are split per day when comparing', () => {
    const late = contentOfParams(params(1380, 60, 'Monday')); // Mon 23:00 → Tue 01:00
    const early = contentOfParams(params(30, 120, 'Tuesday')); // Tue 00:30 → 02:30
    expect(daySegments(late)).toEqual([{ weekday: 1, from: 1380, to: 1440 }, { weekday: 2, from: 0, to: 60 }]);
    expect(windowsOverlap(late, early)).toBe(true);
    expect(windowsOverlap(late, contentOfParams(params(60, 120, 'Tuesday')))).toBe(false);
    const r = reconcile({ desired: [params(30, 120, 'Tuesday')], car: [inCar(5, params(1380, 60, 'Monday'))], ours: [], home: HOME });
    expect(r).toMatchObject({ ok: true, ownerOverlaps: [5], remove: [] });
  });

  it('property: the owner\'s schedules are never removed, and after applying add/remove the car holds exactly the plan plus the owner\'s', () => {
    const sched = fc.record({ start: fc.integer({ min: 0, max: 1439 }), len: fc.integer({ min: 1, max: 600 }), day: fc.constantFrom('Monday', 'Tuesday', 'Sunday') });
    const toParams = (s: { start: number; len: number; day: string }) => params(s.start, (s.start + s.len) % 1440, s.day);
    fc.assert(
      fc.property(fc.array(sched, { maxLength: 5 }), fc.array(sched, { maxLength: 5 }), fc.array(sched, { maxLength: 5 }), (want, mine, owner) => {
        const desired = want.map(toParams);
        const car = [...mine.map((s, i) => inCar(100 + i, toParams(s))), ...owner.map((s, i) => inCar(200 + i, toParams(s)))];
        const ours = mine.map((_, i) => 100 + i);
        const r = reconcile({ desired, car, ours, home: HOME });
        if (!r.ok) return false;
        if (r.remove.some((id) => id >= 200)) return false;
        const after = [...car.filter((s) => !r.remove.includes(s.id)), ...r.add.map((p, i) => inCar(300 + i, p))];
        if (!allPresent(desired, after)) return false;
        // Running again on the result changes nothing (idempotent).
        const again = reconcile({ desired, car: after, ours: [...ours.filter((id) => !r.remove.includes(id)), ...r.add.map((_, i) => 300 + i)], home: HOME });
        return again.ok && again.add.length === 0 && again.remove.length === 0;
      }),
    );
  });

  it('oursAfter: the new ids that match the plan become ours; the owner\'s never do', () => {
    const p = params(120, 300);
    const before = [inCar(9, params(600, 700))];
    const after = [...before, inCar(10, p)];
    expect(oursAfter({ desired: [p], before, after, ours: [] })).toEqual([10]);
  });
});
