import fc from 'fast-check';
import { writeFileSync, appendFileSync } from 'node:fs';
import { planCharging } from '../../../src/planner/plan.ts';
const T0 = Date.parse('2026-05-10T18:00:00Z');
const MIN = 60_000;
const slotsArb = fc.array(fc.record({ gapMin: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 90 })), lenMin: fc.integer({ min: 5, max: 120 }), price: fc.oneof(fc.integer({ min: -20, max: 60 }).map((p) => p / 100), fc.constant(0.25)) }), { minLength: 1, maxLength: 9 }).map((rows) => { let t = T0; return rows.map((r) => { const start = t + r.gapMin * MIN; t = start + r.lenMin * MIN; return { start, end: t, pricePerKwh: r.price }; }); });
const arb = fc.tuple(slotsArb, fc.double({ min: 0.5, max: 60, noNaN: true }), fc.double({ min: 1, max: 22, noNaN: true }), fc.constantFrom(1, 60000));
writeFileSync('/tmp/fuzz-last.json', '');
for (let round = 0; round < 200; round++) {
  for (const [slots, kwh, powerKw, g] of fc.sample(arb, 500)) {
    writeFileSync('/tmp/fuzz-last.json', JSON.stringify({ slots, kwh, powerKw, g }));
    planCharging({ slots, now: T0, readyBy: slots[slots.length - 1]!.end, socPercent: 0, targetPercent: kwh, capacityKwh: 100, powerKw, granularityMs: g });
  }
}
console.log('done');
