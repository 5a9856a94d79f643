import { planCharging } from '../../../src/planner/plan.ts';
import { scanContinuous } from '../oracles.ts';
const slots = [{"start":1778436060000,"end":1778437980000,"pricePerKwh":0},{"start":1778437980000,"end":1778439720000,"pricePerKwh":0},{"start":1778439780000,"end":1778443440000,"pricePerKwh":-0.01},{"start":1778443500000,"end":1778443800000,"pricePerKwh":0}];
const T0 = Date.parse('2026-05-10T18:00:00Z'); const minutes = 61, powerKw = 3.7;
const kwh = powerKw*minutes/60;
const plan = planCharging({ slots, now: T0, readyBy: slots.at(-1)!.end, socPercent: 0, targetPercent: kwh, capacityKwh: 100, powerKw, mode: 'continuous' });
console.log(plan.windows.map(w=>[(w.start-T0)/60000,(w.end-T0)/60000,w.kwh,w.cost]), plan.totalCost, plan.shortfallKwh);
console.log(scanContinuous(slots.map(s=>({start:s.start,end:s.end,price:s.pricePerKwh})), T0, slots.at(-1)!.end, minutes*60000, powerKw, 60000));
