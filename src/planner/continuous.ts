/**
 * Continuous-window mode: the cheapest single window of the needed length, for users who want one charging
 * session per night. Prices are constant per segment, so the cost of a window starting at s,
 * C(s) = ∫_s^{s+D} p, is piecewise linear in s with kinks only where s or s+D meets a segment boundary. Its minimum
 * over grid-aligned starts is therefore at a grid point next to such a kink, or at an end of the range: we try
 * exactly those starts, each costed in O(log n) with prefix sums. Ties go to the earlier start.
 *
 * Windows never cross time without a known price. If no run of known prices is long enough, the longest run is
 * charged in full and the rest is reported as shortfall.
 */
import { ceilDuration, ceilTo, floorTo, type Segment } from './horizon.js';
import type { Placement } from './cheapest.js';
import { ENERGY_EPS, kwhFor, msFor, priceIntegral } from './windows.js';

function runsOf(segs: readonly Segment[]): Segment[][] {
  const runs: Segment[][] = [];
  for (const s of segs) {
    const run = runs[runs.length - 1];
    const last = run?.[run.length - 1];
    if (run && last && last.end === s.start) run.push(s);
    else runs.push([s]);
  }
  return runs;
}

export function continuousWindow(segs: readonly Segment[], energyKwh: number, powerKw: number, grid: number): Placement {
  if (energyKwh <= ENERGY_EPS || segs.length === 0) return { windows: [], placedKwh: 0 };
  const duration = msFor(powerKw, energyKwh);
  const runs = runsOf(segs);
  let best: { start: number; end: number; cost: number } | null = null;
  for (const run of runs) {
    const rs = (run[0] as Segment).start;
    const re = (run[run.length - 1] as Segment).end;
    // 1e-6 ms of slack absorbs float noise: 61 minutes of charging must fit a 61-minute run.
    if (re - rs < duration - 1e-6) continue;
    const latest = Math.max(rs, floorTo(re - duration + 1e-6, grid));
    const candidates = new Set<number>([rs, latest]);
    for (const s of run) {
      for (const b of [s.start, s.end]) {
        candidates.add(b);
        candidates.add(floorTo(b - duration, grid));
        candidates.add(ceilTo(b - duration, grid));
      }
    }
    const starts = [...candidates].filter((t) => t >= rs && t <= latest).sort((a, b) => a - b);
    for (const start of starts) {
      const cost = priceIntegral(run, start, Math.min(start + duration, re));
      if (!best || cost < best.cost - 1e-9 * Math.max(1, Math.abs(best.cost))) {
        best = { start, end: Math.min(start + ceilDuration(duration, grid), re), cost };
      }
    }
  }
  if (best) return { windows: [{ start: best.start, end: best.end }], placedKwh: energyKwh };
  // Not enough contiguous time: charge the longest run (the earliest of equals) and report the rest as shortfall.
  let longest = runs[0] as Segment[];
  const len = (r: Segment[]) => (r[r.length - 1] as Segment).end - (r[0] as Segment).start;
  for (const r of runs) if (len(r) > len(longest)) longest = r;
  const start = (longest[0] as Segment).start;
  const end = (longest[longest.length - 1] as Segment).end;
  return { windows: [{ start, end }], placedKwh: Math.min(energyKwh, kwhFor(powerKw, end - start)) };
}
