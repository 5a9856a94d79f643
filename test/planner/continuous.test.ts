import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { planCharging } from '../../src/planner/plan.js';
import { presetTariff } from '../../src/tariff/presets.js';
import { scanContinuous } from './oracles.js';

fc.configureGlobal({ ...fc.readConfigureGlobal(), interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true });

const T0 = Date.parse('2026-05-10T18:00:00Z');
const MIN = 60_000;

const slotsArb = fc
  .array(fc.record({ gapMin: fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 60 })), lenMin: fc.integer({ min: 5, max: 90 }), price: fc.integer({ min: -10, max: 50 }).map((p) => p / 100) }), { minLength: 1, maxLength: 8 })
  .map((rows) => {
    let t = T0;
    return rows.map((r) => {
      const start = t + r.gapMin * MIN;
      t = start + r.lenMin * MIN;
      return { start, end: t, pricePerKwh: r.price };
    });
  });

describe('continuous-window mode', () => {
  it('finds the cheapest single window (checked by scanning every minute start)', () => {
    fc.assert(
      fc.property(slotsArb, fc.integer({ min: 1, max: 200 }), fc.constantFrom(3.7, 7.4, 11), (slots, minutes, powerKw) => {
        const kwh = (powerKw * minutes) / 60; // whole minutes of charging, so the scan sees the same windows
        const readyBy = slots[slots.length - 1]!.end;
        const plan = planCharging({ slots, now: T0, readyBy, socPercent: 0, targetPercent: kwh, capacityKwh: 100, powerKw, mode: 'continuous' });
        const segs = slots.map((s) => ({ start: s.start, end: s.end, price: s.pricePerKwh }));
        const best = scanContinuous(segs, T0, readyBy, minutes * MIN, powerKw, MIN);
        if (best === null) {
          expect(plan.shortfallKwh).toBeGreaterThan(0);
          expect(plan.windows.length).toBeLessThanOrEqual(1);
        } else {
          expect(plan.windows).toHaveLength(1);
          expect(plan.shortfallKwh).toBe(0);
          expect(plan.totalCost).toBeCloseTo(best, 9);
          const w = plan.windows[0]!;
          expect(w.end - w.start).toBe(minutes * MIN);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('puts one G12 window into the night, and a shorter one into the afternoon zone when it fits there first', async () => {
    const g12 = presetTariff('g12', { peak: 1, offPeak: 0.5 });
    const now = Date.parse('2026-06-10T12:00:00+02:00');
    const readyBy = Date.parse('2026-06-11T07:00:00+02:00');
    const slots = await g12.pricesBetween(now, readyBy);
    const base = { slots, now, readyBy, socPercent: 30, capacityKwh: 75, powerKw: 11, mode: 'continuous' as const };
    const small = planCharging({ ...base, targetPercent: 50 }); // 15 kWh: 82 min, fits 13:00-15:00
    expect(small.windows.map((w) => new Date(w.start).toISOString())).toEqual(['2026-06-10T11:00:00.000Z']);
    const big = planCharging({ ...base, targetPercent: 90 }); // 45 kWh: 4 h 6 min, only the night holds it
    expect(big.windows).toHaveLength(1);
    expect(new Date(big.windows[0]!.start).toISOString()).toBe('2026-06-10T20:00:00.000Z');
    expect(big.totalCost).toBeCloseTo(45 * 0.5, 9);
  });

  it('charges the longest run and reports a shortfall when no run is long enough', () => {
    const h = (i: number) => T0 + i * 3_600_000;
    const slots = [
      { start: h(0), end: h(1), pricePerKwh: 0.1 },
      { start: h(2), end: h(4), pricePerKwh: 0.3 },
    ];
    const plan = planCharging({ slots, now: h(0), readyBy: h(4), socPercent: 0, targetPercent: 30, capacityKwh: 100, powerKw: 10, mode: 'continuous' });
    expect(plan.windows.map((w) => [w.start, w.end])).toEqual([[h(2), h(4)]]);
    expect(plan.shortfallKwh).toBeCloseTo(10, 9);
  });
});
