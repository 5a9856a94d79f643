/**
 * Independent reference solutions for tests: slow, obviously correct, sharing no code with the planner.
 */

export interface Item {
  capacityKwh: number;
  price: number;
}

/**
 * Exhaustive minimum of Σ p·x with Σ x = E, 0 ≤ x ≤ c: an LP optimum lies at a vertex, and a vertex of this
 * polytope has every x at 0 or at its capacity except at most one. So try every set of full items plus every
 * choice of one partial item. Returns null when E does not fit.
 */
export function bruteForceCheapest(items: Item[], energyKwh: number): number | null {
  const n = items.length;
  let best: number | null = null;
  const eps = 1e-9;
  for (let mask = 0; mask < 1 << n; mask++) {
    let cap = 0;
    let cost = 0;
    for (let i = 0; i < n; i++) {
      if (mask & (1 << i)) {
        cap += items[i]!.capacityKwh;
        cost += items[i]!.capacityKwh * items[i]!.price;
      }
    }
    if (cap > energyKwh + eps) continue;
    if (Math.abs(cap - energyKwh) <= eps) {
      if (best === null || cost < best) best = cost;
      continue;
    }
    for (let j = 0; j < n; j++) {
      if (mask & (1 << j)) continue;
      if (cap + items[j]!.capacityKwh + eps < energyKwh) continue;
      const c = cost + (energyKwh - cap) * items[j]!.price;
      if (best === null || c < best) best = c;
    }
  }
  return best;
}

/** Cheapest single window of `durationMs` with its start on the grid: scan every grid start. */
export function scanContinuous(
  segs: { start: number; end: number; price: number }[],
  from: number,
  to: number,
  durationMs: number,
  powerKw: number,
  grid: number,
): number | null {
  let best: number | null = null;
  const first = Math.ceil(from / grid) * grid;
  for (let s = first; s + durationMs <= to; s += grid) {
    let covered = 0;
    let cost = 0;
    for (const seg of segs) {
      const a = Math.max(seg.start, s);
      const b = Math.min(seg.end, s + durationMs);
      if (b > a) {
        covered += b - a;
        cost += ((b - a) / 3_600_000) * powerKw * seg.price;
      }
    }
    if (covered < durationMs - 1e-6) continue;
    if (best === null || cost < best) best = cost;
  }
  return best;
}

/**
 * The optimum of the same fractional knapsack through LP duality: max over λ of λ·E − Σ c_i·max(0, λ − p_i).
 * The dual is concave and piecewise linear with kinks at the prices, so trying every price gives its maximum,
 * which equals the primal optimum (strong duality). No sorting, no greedy: an independent check.
 */
export function dualOptimum(items: Item[], energyKwh: number): number {
  let best = -Infinity;
  for (const { price: lambda } of items) {
    let value = lambda * energyKwh;
    for (const i of items) value -= i.capacityKwh * Math.max(0, lambda - i.price);
    if (value > best) best = value;
  }
  return best;
}
