/**
 * Cheapest-slots mode: the cheapest set of slots that holds the energy, the last one possibly in part.
 *
 * Why greedy by price is optimal. With x_i the energy taken in slot i (capacity c_i = power × length, price p_i),
 * the problem is: minimise Σ p_i·x_i subject to Σ x_i = E and 0 ≤ x_i ≤ c_i — a fractional knapsack. Let g be the
 * greedy solution (slots filled whole in ascending price, the last one in part) and x an optimal one, x ≠ g.
 * Both sum to E, so some slot a has x_a < g_a and some slot b has x_b > g_b. g_a > 0: greedy reached a.
 * g_b < c_b: greedy did not fill b, so b is its partial slot or one it never reached — either way b comes after a
 * in greedy order, hence p_a ≤ p_b. Moving δ = min(g_a − x_a, x_b − g_b) from b to a keeps x feasible and changes
 * its cost by δ·(p_a − p_b) ≤ 0: x stays optimal and gets closer to g. Repeating ends at g, so g is optimal.
 * test/planner/cheapest.test.ts checks this against an exhaustive search over the LP's vertices (all sets of
 * full slots plus at most one partial) for small cases.
 *
 * On Tesla's minute grid the part-slot is rounded up to a whole minute; the car then takes up to one minute of
 * energy there instead of in a later window, so the cost exceeds the exact optimum by at most
 * power × 1 min × (price spread). The tests bound exactly that; with granularityMs = 1 the plan is exact.
 *
 * Ties in price go to the earlier slot: charging sooner leaves more margin if the car is unplugged early.
 */
import { ceilDuration, type Segment } from './horizon.js';
import { kwhFor, msFor, ENERGY_EPS, type Interval } from './windows.js';

export interface Placement {
  windows: Interval[];
  placedKwh: number;
}

export function cheapestWindows(segs: readonly Segment[], energyKwh: number, powerKw: number, grid: number): Placement {
  if (energyKwh <= ENERGY_EPS || segs.length === 0) return { windows: [], placedKwh: 0 };
  const order = segs.map((_, i) => i).sort((a, b) => {
    const sa = segs[a] as Segment;
    const sb = segs[b] as Segment;
    return sa.price - sb.price || sa.start - sb.start;
  });
  const full = new Set<number>();
  let partial: { index: number; ms: number } | null = null;
  let remaining = energyKwh;
  for (const i of order) {
    if (remaining <= ENERGY_EPS) break;
    const seg = segs[i] as Segment;
    const capacity = kwhFor(powerKw, seg.end - seg.start);
    if (capacity <= remaining + ENERGY_EPS) {
      full.add(i);
      remaining -= capacity;
    } else {
      // Rounded up to the grid, so the car has time for the whole remainder (it stops at its limit anyway).
      partial = { index: i, ms: Math.min(ceilDuration(msFor(powerKw, remaining), grid), seg.end - seg.start) };
      remaining = 0;
    }
  }
  const windows: Interval[] = [...full].map((i) => ({ start: (segs[i] as Segment).start, end: (segs[i] as Segment).end }));
  if (partial) {
    const seg = segs[partial.index] as Segment;
    const prev = segs[partial.index - 1];
    const next = segs[partial.index + 1];
    const touchesPrev = prev !== undefined && prev.end === seg.start && full.has(partial.index - 1);
    const touchesNext = next !== undefined && next.start === seg.end && full.has(partial.index + 1);
    // Same price anywhere in the slot; place the part next to a chosen neighbour so the windows merge into one
    // schedule instead of two.
    windows.push(
      !touchesPrev && touchesNext
        ? { start: seg.end - partial.ms, end: seg.end }
        : { start: seg.start, end: seg.start + partial.ms },
    );
  }
  windows.sort((a, b) => a.start - b.start);
  return { windows, placedKwh: energyKwh - Math.max(0, remaining) };
}

/** As soon as possible, in time order, whatever the price: for the energy below the floor. */
export function earliestWindows(segs: readonly Segment[], energyKwh: number, powerKw: number, grid: number): Placement {
  const windows: Interval[] = [];
  let remaining = energyKwh;
  for (const seg of segs) {
    if (remaining <= ENERGY_EPS) break;
    const capacity = kwhFor(powerKw, seg.end - seg.start);
    if (capacity <= remaining + ENERGY_EPS) {
      windows.push({ start: seg.start, end: seg.end });
      remaining -= capacity;
    } else {
      windows.push({ start: seg.start, end: seg.start + Math.min(ceilDuration(msFor(powerKw, remaining), grid), seg.end - seg.start) });
      remaining = 0;
    }
  }
  return { windows, placedKwh: energyKwh - Math.max(0, remaining) };
}
