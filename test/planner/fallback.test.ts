import { describe, expect, it } from 'vitest';
import { dailyWindowSlots, fallbackPlan } from '../../src/planner/fallback.js';
import { PlannerInputError } from '../../src/planner/types.js';

const at = (iso: string) => Date.parse(iso);
const base = { socPercent: 15, safeMinPercent: 40, capacityKwh: 75, powerKw: 11, cheapWindow: { from: '22:00', to: '06:00' } };

describe('safe fallback plan (tariff source failed)', () => {
  it('charges only up to the safe minimum, only inside the next cheap window', () => {
    const now = at('2026-01-14T17:30:00+01:00');
    const plan = fallbackPlan({ ...base, now });
    expect(plan.totalKwh).toBeCloseTo(18.75, 9); // 25 % of 75 kWh, not a full charge
    expect(plan.windows.map((w) => [new Date(w.start).toISOString(), new Date(w.end).toISOString()])).toEqual([
      ['2026-01-14T21:00:00.000Z', '2026-01-14T22:43:00.000Z'],
    ]);
  });

  it('starts at once when it is already inside the cheap window', () => {
    const now = at('2026-01-15T01:00:00+01:00');
    const plan = fallbackPlan({ ...base, now });
    expect(plan.windows[0]!.start).toBe(now);
  });

  it('charges nothing when the car is at or above the safe minimum', () => {
    const plan = fallbackPlan({ ...base, socPercent: 55, now: at('2026-01-14T23:00:00+01:00') });
    expect(plan.windows).toEqual([]);
    expect(plan.requiredKwh).toBe(0);
  });

  it('stops at the window end even if the minimum is not reached, and says so', () => {
    const plan = fallbackPlan({ ...base, powerKw: 7, socPercent: 0, safeMinPercent: 100, now: at('2026-01-14T17:00:00+01:00') });
    expect(plan.windows.map((w) => [w.start, w.end])).toEqual([[at('2026-01-14T22:00:00+01:00'), at('2026-01-15T06:00:00+01:00')]]);
    expect(plan.totalKwh).toBeCloseTo(56, 9);
    expect(plan.shortfallKwh).toBeCloseTo(19, 9);
  });

  it('follows the wall clock across DST: the cheap night is 7 h in spring', () => {
    const slots = dailyWindowSlots({ from: '22:00', to: '06:00' }, at('2026-03-28T12:00:00+01:00'), at('2026-03-29T12:00:00+02:00'), 'Europe/Warsaw', 0);
    expect(slots.map((s) => (s.end - s.start) / 3_600_000)).toEqual([7]);
  });

  it('refuses an unusable window', () => {
    expect(() => fallbackPlan({ ...base, cheapWindow: { from: '22:00', to: '22:00' }, now: 0 })).toThrow(PlannerInputError);
    expect(() => fallbackPlan({ ...base, cheapWindow: { from: '10pm', to: '06:00' }, now: 0 })).toThrow(/cheapWindow.from/);
  });
});
