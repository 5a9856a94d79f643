/**
 * Planner benchmark on real prices: ../shared/data/be-day-ahead-prices.csv (or OFFPEAK_PRICES_CSV).
 *
 * Draws charging sessions from a fixed seed (arrival, SoC, target, deadline, battery, charger), plans each one and
 * compares its cost with the exact optimum computed here by an independent method:
 *   - cheapest slots: the LP dual of the fractional knapsack, max over λ of λ·E − Σ c_i·max(0, λ − p_i), evaluated
 *     at every price (strong duality makes it equal to the optimum; no sorting, no greedy);
 *   - continuous window: a scan of every minute start with per-minute prefix sums.
 * Goal: total cost / optimum ≤ 1.001. Also the compute time per plan (p50/p99). Exits 1 if the goal is missed.
 *
 * Run: npm run build && node dist/bench/planner.js   (env: OFFPEAK_PRICES_CSV, BENCH_SESSIONS, BENCH_SEED)
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parsePriceCsv } from '../src/tariff/price-file.js';
import { clipSlots } from '../src/tariff/slot-tariff.js';
import { planCharging } from '../src/planner/plan.js';
import { windowsToSchedules } from '../src/planner/schedules.js';
import type { PriceSlot } from '../src/tariff/types.js';
import type { PlanMode } from '../src/planner/types.js';

const MIN = 60_000;
const H = 3_600_000;
const GOAL = 1.001;

/** The repository root: the nearest directory above this file with a package.json (works from bench/ and dist/bench/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/** xorshift32: a tiny seeded generator, so every run draws the same sessions. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

interface Session {
  now: number;
  readyBy: number;
  soc: number;
  target: number;
  capacityKwh: number;
  powerKw: number;
}

function drawSessions(slots: PriceSlot[], count: number, seed: number): Session[] {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const first = (slots[0] as PriceSlot).start;
  const last = (slots[slots.length - 1] as PriceSlot).end - 40 * H;
  const out: Session[] = [];
  for (let i = 0; i < count; i++) {
    const now = first + int(0, Math.floor((last - first) / MIN)) * MIN; // any minute of the data
    const soc = int(5, 85);
    out.push({
      now,
      readyBy: now + int(3 * 60, 36 * 60) * MIN, // 3 to 36 hours later
      soc,
      target: int(soc + 1, 100),
      capacityKwh: pick([50, 60, 75, 82, 100]),
      powerKw: pick([3.7, 7.4, 11, 16.5]),
    });
  }
  return out;
}

/** Exact optimum of the cheapest-slots problem by LP duality (see the header). */
function dualOptimum(items: { cap: number; price: number }[], energy: number): number {
  let best = -Infinity;
  for (const { price: lambda } of items) {
    let v = lambda * energy;
    for (const it of items) if (lambda > it.price) v -= it.cap * (lambda - it.price);
    if (v > best) best = v;
  }
  return best;
}

/** Cheapest single window from a minute start: energy at full power from s, scanned over every minute. */
function scanContinuous(slots: PriceSlot[], from: number, to: number, energy: number, powerKw: number): number | null {
  const minutes = Math.floor((to - from) / MIN);
  const perMinute = new Float64Array(minutes);
  for (const s of slots) {
    for (let t = Math.max(s.start, from); t < Math.min(s.end, to); t += MIN) perMinute[Math.floor((t - from) / MIN)] = s.pricePerKwh;
  }
  const prefix = new Float64Array(minutes + 1);
  for (let i = 0; i < minutes; i++) prefix[i + 1] = (prefix[i] as number) + (perMinute[i] as number);
  const need = (energy / powerKw) * 60; // minutes of charging, maybe fractional
  const whole = Math.floor(need + 1e-9);
  const part = Math.max(0, need - whole);
  let best: number | null = null;
  for (let s = 0; s + need <= minutes + 1e-9; s++) {
    let sum = (prefix[s + whole] as number) - (prefix[s] as number);
    if (part > 1e-9) sum += part * (perMinute[s + whole] as number);
    const cost = (sum * powerKw) / 60;
    if (best === null || cost < best) best = cost;
  }
  return best;
}

const percentile = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};

function main(): number {
  const csvPath = process.env.OFFPEAK_PRICES_CSV ?? resolve(repoRoot(), '../shared/data/be-day-ahead-prices.csv');
  if (!existsSync(csvPath)) {
    console.log(`planner bench skipped: ${csvPath} not found (set OFFPEAK_PRICES_CSV to a CSV with start,price columns)`);
    return 0;
  }
  const { slots, currency } = parsePriceCsv(readFileSync(csvPath, 'utf8'), csvPath);
  const cur = currency ?? '';
  const count = Number(process.env.BENCH_SESSIONS ?? 2000);
  const seed = Number(process.env.BENCH_SEED ?? 20260329);
  const sessions = drawSessions(slots, count, seed);
  const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 16)}Z`;
  console.log(`planner bench: ${count} sessions (seed ${seed}) on ${csvPath}`);
  console.log(`  ${slots.length} prices from ${iso(slots[0]!.start)} to ${iso(slots[slots.length - 1]!.end)}, ${cur || 'no currency'} per kWh`);

  // Warm the JIT so the timings describe steady state.
  for (const s of sessions.slice(0, 200)) plan(s, 'cheapest');

  function plan(s: Session, mode: PlanMode) {
    const inRange = clipSlots(slots, s.now, s.readyBy);
    const t0 = performance.now();
    const p = planCharging({ slots: inRange, now: s.now, readyBy: s.readyBy, socPercent: s.soc, targetPercent: s.target, capacityKwh: s.capacityKwh, powerKw: s.powerKw, mode });
    const t1 = performance.now();
    windowsToSchedules(p.windows, { timeZone: 'Europe/Brussels', lat: 50.85, lon: 4.35 });
    const t2 = performance.now();
    return { p, inRange, planMs: t1 - t0, withSchedulesMs: t2 - t0 };
  }

  const report = (mode: PlanMode) => {
    let ours = 0;
    let best = 0;
    let worstRatio = 1;
    let maxExcess = 0;
    let below = 0;
    let short = 0;
    let windows = 0;
    const planMs: number[] = [];
    const fullMs: number[] = [];
    for (const s of sessions) {
      const r = plan(s, mode);
      planMs.push(r.planMs);
      fullMs.push(r.withSchedulesMs);
      windows += r.p.windows.length;
      if (r.p.shortfallKwh > 0) short++;
      const energy = r.p.totalKwh;
      if (energy <= 0) continue;
      const opt =
        mode === 'cheapest'
          ? dualOptimum(r.inRange.map((x) => ({ cap: (s.powerKw * (x.end - x.start)) / H, price: x.pricePerKwh })), energy)
          : scanContinuous(r.inRange, s.now, s.readyBy, energy, s.powerKw);
      if (opt === null) continue; // no single window long enough: both report a shortfall
      ours += r.p.totalCost;
      best += opt;
      const excess = r.p.totalCost - opt;
      if (excess < -1e-9) below++;
      maxExcess = Math.max(maxExcess, excess);
      if (opt >= 0.1) worstRatio = Math.max(worstRatio, r.p.totalCost / opt);
    }
    const ratio = ours / best;
    const name = mode === 'cheapest' ? 'cheapest slots   ' : 'continuous window';
    const method = mode === 'cheapest' ? 'LP-dual optimum' : 'minute-scan optimum';
    console.log(`${name}: cost / ${method} = ${ratio.toFixed(6)} (total ${ours.toFixed(2)} vs ${best.toFixed(2)} ${cur})`);
    console.log(`                   worst session ${worstRatio.toFixed(6)} (of those with optimum ≥ 0.10 ${cur}), max excess ${maxExcess.toFixed(4)} ${cur}, ${below} sessions below the optimum, ${short} with a shortfall, ${(windows / sessions.length).toFixed(2)} windows per plan`);
    console.log(`                   time per plan p50 ${(percentile(planMs, 50) * 1000).toFixed(0)} µs, p99 ${(percentile(planMs, 99) * 1000).toFixed(0)} µs; with Tesla schedules p50 ${(percentile(fullMs, 50) * 1000).toFixed(0)} µs, p99 ${(percentile(fullMs, 99) * 1000).toFixed(0)} µs`);
    return { ratio, ours, below };
  };

  const cheapest = report('cheapest');
  const continuous = report('continuous');
  console.log(`one continuous window costs ${(((continuous.ours - cheapest.ours) / Math.abs(cheapest.ours)) * 100).toFixed(1)} % more than the cheapest slots on these sessions`);
  const ok = cheapest.ratio <= GOAL && continuous.ratio <= GOAL && cheapest.below === 0 && continuous.below === 0;
  console.log(`goal cost ratio ≤ ${GOAL}: ${ok ? 'met' : 'MISSED'}`);
  return ok ? 0 : 1;
}

process.exitCode = main();
