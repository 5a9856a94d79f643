import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { planCharging } from '../../src/planner/plan.js';
import { bruteForceCheapest } from './oracles.js';

// A failing property must report, not shrink for minutes.
fc.configureGlobal({ ...fc.readConfigureGlobal(), interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true });

const T0 = Date.parse('2026-05-10T18:00:00Z');
const MIN = 60_000;

/** Random consecutive slots (whole minutes), some with gaps between them. */
const slotsArb = fc
  .array(
    fc.record({
      gapMin: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 90 })),
      lenMin: fc.integer({ min: 5, max: 120 }),
      price: fc.oneof(fc.integer({ min: -20, max: 60 }).map((p) => p / 100), fc.constant(0.25)),
    }),
    { minLength: 1, maxLength: 9 },
  )
  .map((rows) => {
    let t = T0;
    return rows.map((r) => {
      const start = t + r.gapMin * MIN;
      t = start + r.lenMin * MIN;
      return { start, end: t, pricePerKwh: r.price };
    });
  });

describe('cheapest-slots mode is optimal', () => {
  it('matches an exhaustive search over the LP vertices (greedy by price is optimal)', () => {
    fc.assert(
      fc.property(slotsArb, fc.double({ min: 0.5, max: 60, noNaN: true }), fc.double({ min: 1, max: 22, noNaN: true }), (slots, kwh, powerKw) => {
        const capacityKwh = 100;
        const plan = planCharging({
          slots,
          now: T0,
          readyBy: slots[slots.length - 1]!.end,
          socPercent: 0,
          targetPercent: kwh,
          capacityKwh,
          powerKw,
          mode: 'cheapest',
          granularityMs: 1,
        });
        const items = slots.map((s) => ({ capacityKwh: (powerKw * (s.end - s.start)) / 3_600_000, price: s.pricePerKwh }));
        const total = items.reduce((n, i) => n + i.capacityKwh, 0);
        const best = bruteForceCheapest(items, Math.min(kwh, total));
        expect(best).not.toBeNull();
        expect(plan.totalKwh).toBeCloseTo(Math.min(kwh, total), 6);
        // Exact up to the 1 ms grid: a part-slot rounded up by < 1 ms lets the car take < 1 ms of energy early.
        const prices = slots.map((s) => s.pricePerKwh);
        const rounding = ((powerKw * 1) / 3_600_000) * (Math.max(...prices) - Math.min(...prices));
        expect(Math.abs(plan.totalCost - best!)).toBeLessThanOrEqual(rounding + 1e-9);
      }),
      { numRuns: 400 },
    );
  });

  it('with minute rounding, costs at most one minute of the price spread more than the optimum', () => {
    fc.assert(
      fc.property(slotsArb, fc.double({ min: 0.5, max: 60, noNaN: true }), fc.double({ min: 1, max: 22, noNaN: true }), (slots, kwh, powerKw) => {
        const plan = planCharging({ slots, now: T0, readyBy: slots[slots.length - 1]!.end, socPercent: 0, targetPercent: kwh, capacityKwh: 100, powerKw });
        const items = slots.map((s) => ({ capacityKwh: (powerKw * (s.end - s.start)) / 3_600_000, price: s.pricePerKwh }));
        const best = bruteForceCheapest(items, plan.totalKwh)!;
        const prices = slots.map((s) => s.pricePerKwh);
        const spread = Math.max(...prices) - Math.min(...prices);
        expect(plan.totalCost).toBeLessThanOrEqual(best + (powerKw / 60) * spread + 1e-9);
        expect(plan.totalCost).toBeGreaterThanOrEqual(best - 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('takes the cheapest hours, the partial one next to a chosen neighbour, ties to the earlier hour', () => {
    const h = (i: number) => T0 + i * 3_600_000;
    const prices = [0.5, 0.2, 0.1, 0.3, 0.1, 0.9];
    const slots = prices.map((p, i) => ({ start: h(i), end: h(i + 1), pricePerKwh: p }));
    // 2.5 hours of charging at 10 kW: both 0.1 hours, then half of the 0.2 hour, placed to touch the 0.1 hour after it.
    const plan = planCharging({ slots, now: h(0), readyBy: h(6), socPercent: 0, targetPercent: 25, capacityKwh: 100, powerKw: 10 });
    expect(plan.windows.map((w) => [(w.start - T0) / 60_000, (w.end - T0) / 60_000, w.kwh])).toEqual([
      [90, 180, 15],
      [240, 300, 10],
    ]);
    expect(plan.totalCost).toBeCloseTo(5 * 0.2 + 10 * 0.1 + 10 * 0.1, 10);
    // Equal prices: the earlier hour wins.
    const flat = planCharging({ slots: slots.map((s) => ({ ...s, pricePerKwh: 1 })), now: h(0), readyBy: h(6), socPercent: 0, targetPercent: 10, capacityKwh: 100, powerKw: 10 });
    expect(flat.windows.map((w) => [w.start, w.end])).toEqual([[h(0), h(1)]]);
  });

  it('fills negative-price hours first', () => {
    const h = (i: number) => T0 + i * 3_600_000;
    const slots = [0.1, -0.05, 0.2, -0.01].map((p, i) => ({ start: h(i), end: h(i + 1), pricePerKwh: p }));
    const plan = planCharging({ slots, now: h(0), readyBy: h(4), socPercent: 50, targetPercent: 70, capacityKwh: 100, powerKw: 11 });
    expect(plan.windows.map((w) => [w.start, w.end])).toEqual([[h(1), h(2)], [h(3), h(3) + 50 * 60_000]]); // 9 kWh at 11 kW = 49.1 min, rounded up
    expect(plan.totalCost).toBeCloseTo(11 * -0.05 + 9 * -0.01, 10);
  });
});
