import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { planCharging } from '../../../src/planner/plan.ts';
import { bruteForceCheapest } from '../oracles.ts';
const T0 = Date.parse('2026-05-10T18:00:00Z');
const MIN = 60_000;
const slotsArb = fc.array(fc.record({ gapMin: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 90 })), lenMin: fc.integer({ min: 5, max: 120 }), price: fc.oneof(fc.integer({ min: -20, max: 60 }).map((p) => p / 100), fc.constant(0.25)) }), { minLength: 1, maxLength: 9 }).map((rows) => { let t = T0; return rows.map((r) => { const start = t + r.gapMin * MIN; t = start + r.lenMin * MIN; return { start, end: t, pricePerKwh: r.price }; }); });
const which = process.argv[2];
for (let seed = 1; seed < 60; seed++) {
  const t0 = Date.now();
  writeFileSync('/tmp/seed-last.txt', `${which} ${seed}`);
  try {
  fc.assert(fc.property(slotsArb, fc.double({ min: 0.5, max: 60, noNaN: true }), fc.double({ min: 1, max: 22, noNaN: true }), (slots, kwh, powerKw) => {
    writeFileSync('/tmp/seed-input.json', JSON.stringify({slots, kwh, powerKw}));
    const g = which === 'a' ? 1 : 60000;
    const plan = planCharging({ slots, now: T0, readyBy: slots[slots.length - 1]!.end, socPercent: 0, targetPercent: kwh, capacityKwh: 100, powerKw, granularityMs: g });
    const items = slots.map((s) => ({ capacityKwh: (powerKw * (s.end - s.start)) / 3_600_000, price: s.pricePerKwh }));
    const total = items.reduce((n, i) => n + i.capacityKwh, 0);
    const best = bruteForceCheapest(items, Math.min(kwh, total));
    if (best === null) throw new Error('null');
    if (false) throw new Error('kwh ' + plan.totalKwh + ' vs ' + Math.min(kwh,total));
    const pr = slots.map((s: any) => s.pricePerKwh); if (Math.abs(plan.totalCost - best) > (which === "a" ? powerKw / 3.6e6 : powerKw / 60) * (Math.max(...pr) - Math.min(...pr)) + 1e-9) throw new Error('cost ' + plan.totalCost + ' vs ' + best);
  }), { seed, numRuns: 400, endOnFailure: true });
  } catch (e) { console.log('seed', seed, 'failed after', Date.now()-t0, 'ms', (e as Error).message.slice(0, 600)); }
}
console.log('done');
