import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { planCharging } from '../../src/planner/plan.js';
import { PlannerInputError, type PlanInput } from '../../src/planner/types.js';
import { presetTariff } from '../../src/tariff/presets.js';
import { parsePriceCsv } from '../../src/tariff/price-file.js';
import type { PriceSlot } from '../../src/tariff/types.js';
import { dualOptimum } from './oracles.js';

fc.configureGlobal({ ...fc.readConfigureGlobal(), interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true });

const MIN = 60_000;
const H = 3_600_000;
const g12 = presetTariff('g12', { peak: 1.3, offPeak: 0.7 });
const g12w = presetTariff('g12w', { peak: 1.3, offPeak: 0.7 });

/** Instants around both 2026 DST changes and anywhere in the year, sometimes not on a whole minute. */
const nowArb = fc
  .tuple(
    fc.oneof(
      fc.integer({ min: Date.parse('2026-03-27T00:00:00Z') / MIN, max: Date.parse('2026-03-30T00:00:00Z') / MIN }),
      fc.integer({ min: Date.parse('2026-10-23T00:00:00Z') / MIN, max: Date.parse('2026-10-26T00:00:00Z') / MIN }),
      fc.integer({ min: Date.parse('2026-01-01T00:00:00Z') / MIN, max: Date.parse('2026-12-31T00:00:00Z') / MIN }),
    ),
    fc.oneof(fc.constant(0), fc.integer({ min: 1, max: MIN - 1 })),
  )
  .map(([m, ms]) => m * MIN + ms);

/** Hourly market prices (negative ones included) around `now`, maybe with a hole of unknown hours. */
function marketSlots(now: number, prices: number[], hole: number | null): PriceSlot[] {
  const first = Math.floor(now / H) * H - H;
  return prices
    .map((p, i) => ({ start: first + i * H, end: first + (i + 1) * H, pricePerKwh: p }))
    .filter((_, i) => hole === null || i < hole || i > hole + 2);
}

const scenarioArb = fc
  .record({
    now: nowArb,
    source: fc.constantFrom('g12', 'g12w', 'market'),
    prices: fc.array(fc.integer({ min: -30, max: 80 }).map((p) => p / 100), { minLength: 52, maxLength: 52 }),
    hole: fc.option(fc.integer({ min: 0, max: 50 }), { nil: null }),
    horizonMs: fc.integer({ min: 1, max: 48 * 60 }).chain((m) => fc.integer({ min: 0, max: MIN - 1 }).map((ms) => m * MIN + ms)),
    soc: fc.integer({ min: 0, max: 100 }),
    target: fc.integer({ min: 0, max: 100 }),
    floorShare: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
    capacityKwh: fc.integer({ min: 20, max: 120 }),
    powerKw: fc.constantFrom(1.4, 2.3, 3.7, 7.4, 11, 16.5, 22),
    efficiency: fc.constantFrom(1, 0.9, 0.85),
    mode: fc.constantFrom('cheapest' as const, 'continuous' as const),
  })
  .map((s): PlanInput => {
    const readyBy = s.now + s.horizonMs;
    const slots =
      s.source === 'market' ? marketSlots(s.now, s.prices, s.hole) : (s.source === 'g12' ? g12 : g12w).slotsBetween(s.now - H, readyBy + H);
    return {
      slots,
      now: s.now,
      readyBy,
      socPercent: s.soc,
      targetPercent: s.target,
      floorPercent: Math.floor(s.floorShare * s.target),
      capacityKwh: s.capacityKwh,
      powerKw: s.powerKw,
      efficiency: s.efficiency,
      mode: s.mode,
    };
  });

/** ∫ price over [from, to) in price·h, straight from the slots. */
function priceHours(slots: readonly PriceSlot[], from: number, to: number): number {
  let sum = 0;
  for (const s of slots) sum += (Math.max(0, Math.min(s.end, to) - Math.max(s.start, from)) / H) * s.pricePerKwh;
  return sum;
}
const coveredMs = (slots: readonly PriceSlot[], from: number, to: number) =>
  slots.reduce((n, s) => n + Math.max(0, Math.min(s.end, to) - Math.max(s.start, from)), 0);

describe('planner properties (fast-check)', () => {
  it('schedules exactly the required energy, or all it can with a shortfall, inside [now, readyBy], never in the past', () => {
    fc.assert(
      fc.property(scenarioArb, (input) => {
        const plan = planCharging(input);
        const sum = plan.windows.reduce((n, w) => n + w.kwh, 0);
        expect(sum).toBeCloseTo(plan.totalKwh, 9);
        expect(plan.totalKwh + plan.shortfallKwh).toBeCloseTo(plan.requiredKwh, 6);
        expect(plan.requiredKwh).toBeCloseTo((Math.max(0, input.targetPercent - input.socPercent) / 100) * input.capacityKwh / (input.efficiency ?? 1), 9);
        plan.windows.forEach((w, i) => {
          expect(w.start).toBeGreaterThanOrEqual(input.now);
          expect(w.end).toBeLessThanOrEqual(input.readyBy);
          expect(w.start % MIN).toBe(0);
          expect(w.end % MIN).toBe(0);
          expect(w.kwh).toBeGreaterThan(0);
          expect(w.kwh).toBeLessThanOrEqual((input.powerKw * (w.end - w.start)) / H + 1e-9);
          // Only time with a known price, and adjacent windows merged.
          expect(coveredMs(input.slots, w.start, w.end)).toBe(w.end - w.start);
          if (i > 0) expect(w.start).toBeGreaterThan(plan.windows[i - 1]!.end);
          // The reported cost is what the car pays charging from the window's start at full power.
          const cost = input.powerKw * priceHours(input.slots, w.start, w.start + (w.kwh / input.powerKw) * H);
          expect(w.cost).toBeCloseTo(cost, 6);
        });
        // One window, unless a floor charge (which may itself cross a gap in known prices) comes first.
        if (input.mode === 'continuous' && plan.floorKwh === 0) expect(plan.windows.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('cheapest mode costs no more than the LP optimum (plus one minute of rounding), and uses all known time when short', () => {
    fc.assert(
      fc.property(scenarioArb, (raw) => {
        const input = { ...raw, mode: 'cheapest' as const, floorPercent: 0 };
        const plan = planCharging(input);
        const from = Math.ceil(input.now / MIN) * MIN;
        const to = Math.floor(input.readyBy / MIN) * MIN;
        const items = input.slots
          .map((s) => ({ capacityKwh: (input.powerKw * Math.max(0, Math.min(s.end, to) - Math.max(s.start, from))) / H, price: s.pricePerKwh }))
          .filter((i) => i.capacityKwh > 0);
        if (plan.shortfallKwh > 0) {
          const used = plan.windows.reduce((n, w) => n + w.end - w.start, 0);
          expect(used).toBe(coveredMs(input.slots, from, to));
          return;
        }
        if (plan.totalKwh === 0) return;
        const opt = dualOptimum(items, plan.totalKwh);
        const prices = items.map((i) => i.price);
        const rounding = (input.powerKw / 60) * (Math.max(...prices) - Math.min(...prices));
        expect(plan.totalCost).toBeGreaterThanOrEqual(opt - 1e-6);
        expect(plan.totalCost).toBeLessThanOrEqual(opt + rounding + 1e-6);
      }),
      { numRuns: 300 },
    );
  });

  it('charges the energy below the floor first: every known minute from now until the floor is reached', () => {
    fc.assert(
      fc.property(scenarioArb, (raw) => {
        // Put the SoC below the floor (and the target at or above it) instead of discarding runs.
        const socPercent = Math.min(raw.socPercent, 60);
        const floorPercent = Math.max(raw.floorPercent ?? 0, socPercent + 1);
        const input = { ...raw, socPercent, floorPercent, targetPercent: Math.max(raw.targetPercent, floorPercent) };
        const plan = planCharging(input);
        const from = Math.ceil(input.now / MIN) * MIN;
        const to = Math.floor(input.readyBy / MIN) * MIN;
        // Walk the known time in order until it holds the floor energy: all of it must be charging time.
        let need = plan.floorKwh;
        for (const s of [...input.slots].sort((a, b) => a.start - b.start)) {
          const a = Math.max(s.start, from);
          const b = Math.min(s.end, to);
          if (b <= a || need <= 1e-9) continue;
          const take = Math.min(b - a, Math.floor(((need / input.powerKw) * H) / MIN) * MIN);
          if (take > 0) expect(plan.windows.some((w) => w.start <= a && w.end >= a + take)).toBe(true);
          need -= (input.powerKw * (b - a)) / H;
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('planner examples', () => {
  const base = { capacityKwh: 75, powerKw: 11 };

  it('G12 evening plug-in: floor now at peak price, the rest at night', async () => {
    const now = Date.parse('2026-01-14T17:00:00+01:00');
    const readyBy = Date.parse('2026-01-15T07:00:00+01:00');
    const slots = await g12.pricesBetween(now, readyBy);
    const plan = planCharging({ ...base, slots, now, readyBy, socPercent: 10, floorPercent: 20, targetPercent: 80 });
    expect(plan.floorKwh).toBeCloseTo(7.5, 9);
    expect(plan.windows.map((w) => [new Date(w.start).toISOString(), new Date(w.end).toISOString()])).toEqual([
      ['2026-01-14T16:00:00.000Z', '2026-01-14T16:41:00.000Z'], // 7.5 kWh at 11 kW = 40.9 min
      ['2026-01-14T21:00:00.000Z', '2026-01-15T01:06:00.000Z'], // 45 kWh = 4 h 5.5 min
    ]);
    // The car charges the whole rounded-up 41st minute at peak price, and that much less at night.
    const atPeak = (11 * 41) / 60;
    expect(plan.windows[0]!.kwh).toBeCloseTo(atPeak, 9);
    expect(plan.totalCost).toBeCloseTo(atPeak * 1.3 + (52.5 - atPeak) * 0.7, 9);
  });

  it('nothing to do, no time, and efficiency', () => {
    const slots = g12.slotsBetween(Date.parse('2026-01-14T00:00:00Z'), Date.parse('2026-01-16T00:00:00Z'));
    const now = Date.parse('2026-01-14T17:00:00+01:00');
    const full = planCharging({ ...base, slots, now, readyBy: now + 10 * H, socPercent: 85, targetPercent: 80 });
    expect(full).toMatchObject({ windows: [], requiredKwh: 0, totalKwh: 0, shortfallKwh: 0 });
    const late = planCharging({ ...base, slots, now, readyBy: now - H, socPercent: 20, targetPercent: 80 });
    expect(late.windows).toEqual([]);
    expect(late.shortfallKwh).toBeCloseTo(45, 9);
    const lossy = planCharging({ ...base, slots, now, readyBy: now + 14 * H, socPercent: 20, targetPercent: 80, efficiency: 0.9 });
    expect(lossy.requiredKwh).toBeCloseTo(50, 9);
  });

  it('on real Belgian prices across the autumn DST night, matches the LP optimum and takes the cheapest hours', () => {
    const csv = readFileSync(new URL('../fixtures/prices/be-day-ahead-2023-10-16_2023-11-05.csv', import.meta.url), 'utf8');
    const { slots } = parsePriceCsv(csv);
    const now = Date.parse('2023-10-28T18:00:00+02:00');
    const readyBy = Date.parse('2023-10-29T08:00:00+01:00'); // a 15-hour night
    const plan = planCharging({ ...base, slots, now, readyBy, socPercent: 30, targetPercent: 80, granularityMs: 1 });
    const inRange = slots.filter((s) => s.start >= now && s.end <= readyBy);
    expect(inRange).toHaveLength(15);
    const opt = dualOptimum(inRange.map((s) => ({ capacityKwh: 11, price: s.pricePerKwh })), 37.5);
    expect(plan.totalCost).toBeCloseTo(opt, 9);
    const used = (s: PriceSlot) => plan.windows.some((w) => w.start < s.end && w.end > s.start);
    const dearestUsed = Math.max(...inRange.filter(used).map((s) => s.pricePerKwh));
    const cheapestUnused = Math.min(...inRange.filter((s) => !used(s)).map((s) => s.pricePerKwh));
    expect(dearestUsed).toBeLessThanOrEqual(cheapestUnused);
    expect(inRange.filter(used).every((s) => s.pricePerKwh < 0)).toBe(true); // that night had enough negative hours
  });

  it.each<[Partial<PlanInput>, RegExp]>([
    [{ socPercent: 120 }, /socPercent: must be a percentage 0-100/],
    [{ targetPercent: Number.NaN }, /targetPercent/],
    [{ floorPercent: 90 }, /floorPercent: floor 90% is above the target 80%/],
    [{ powerKw: 0 }, /powerKw: must be a positive number of kW/],
    [{ capacityKwh: -1 }, /capacityKwh/],
    [{ efficiency: 1.2 }, /efficiency: must be in \(0, 1\]/],
    [{ mode: 'fastest' as never }, /mode: must be one of cheapest, continuous/],
    [{ slots: [{ start: 2, end: 1, pricePerKwh: 1 }] }, /slots\[0\]/],
    [{ slots: [{ start: 0, end: 10, pricePerKwh: 1 }, { start: 5, end: 20, pricePerKwh: 1 }] }, /slots\[1\]: slots overlap/],
  ])('rejects bad input %o', (patch, message) => {
    const input: PlanInput = { slots: [], now: 0, readyBy: H, socPercent: 20, targetPercent: 80, capacityKwh: 75, powerKw: 11, ...patch };
    expect(() => planCharging(input)).toThrow(PlannerInputError);
    expect(() => planCharging(input)).toThrow(message);
  });
});
