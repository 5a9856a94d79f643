/**
 * Windows: merging, and the energy and cost the car really takes in each. The car charges at full power whenever
 * it is inside a window and below its charge limit, so over a plan it charges from the first window's start
 * until the energy is in. Reporting that profile (not the planner's intention) keeps kWh and costs honest when a
 * window was rounded up to a whole minute.
 */
import type { Segment } from './horizon.js';
import type { PlannedWindow } from './types.js';

export interface Interval {
  start: number;
  end: number;
}

/** Below this a quantity of energy is rounding noise (1 mWh… is already far below; this is 1 µWh). */
export const ENERGY_EPS = 1e-9;

const MS_PER_HOUR = 3_600_000;
export const kwhFor = (powerKw: number, ms: number): number => (powerKw * ms) / MS_PER_HOUR;
export const msFor = (powerKw: number, kwh: number): number => (kwh / powerKw) * MS_PER_HOUR;

/** Sorted, with touching or overlapping intervals joined. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}

/** ∫ price dt over [from, to), in price·ms. Throws if part of it has no known price (a planner bug). */
export function priceIntegral(segs: readonly Segment[], from: number, to: number): number {
  let lo = 0;
  let hi = segs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((segs[mid] as Segment).end <= from) lo = mid + 1;
    else hi = mid;
  }
  let total = 0;
  let t = from;
  for (let i = lo; i < segs.length && t < to; i++) {
    const s = segs[i] as Segment;
    if (s.start > t) break;
    const end = Math.min(s.end, to);
    total += s.price * (end - t);
    t = end;
  }
  if (t < to) throw new Error(`internal: window ${new Date(from).toISOString()}…${new Date(to).toISOString()} leaves known prices`);
  return total;
}

/** The car's actual charging in the given windows (merged, sorted), until `energyKwh` is in. */
export function chargeProfile(windows: readonly Interval[], segs: readonly Segment[], energyKwh: number, powerKw: number): PlannedWindow[] {
  const out: PlannedWindow[] = [];
  let remaining = energyKwh;
  for (const w of windows) {
    if (remaining <= ENERGY_EPS) break;
    const ms = Math.min(w.end - w.start, msFor(powerKw, remaining));
    const kwh = Math.min(kwhFor(powerKw, ms), remaining);
    remaining -= kwh;
    out.push({ start: w.start, end: w.end, kwh, cost: (powerKw * priceIntegral(segs, w.start, w.start + ms)) / MS_PER_HOUR });
  }
  return out;
}
