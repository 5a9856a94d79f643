/**
 * The planning range as segments of known price: the tariff's slots clipped to [now, readyBy] and snapped inward to
 * the time grid (never outward: no charging in time whose price we do not know or that is already past).
 */
import type { PriceSlot } from '../tariff/types.js';
import { PlannerInputError } from './types.js';

export interface Segment {
  start: number;
  end: number;
  price: number;
}

export const ceilTo = (t: number, grid: number): number => Math.ceil(t / grid) * grid;
export const floorTo = (t: number, grid: number): number => Math.floor(t / grid) * grid;
/**
 * A charging duration rounded up to the grid, ignoring float noise: 6.105 kWh at 3.7 kW is 99 minutes, not the
 * 99.000000001 that division gives (which would round up to 100).
 */
export const ceilDuration = (ms: number, grid: number): number => Math.ceil((ms - 1e-6) / grid) * grid;

export function horizonSegments(slots: readonly PriceSlot[], from: number, to: number, grid: number): Segment[] {
  const lo = ceilTo(from, grid);
  const hi = floorTo(to, grid);
  const sorted = [...slots].sort((a, b) => a.start - b.start);
  const out: Segment[] = [];
  let prevEnd = -Infinity;
  for (const [i, s] of sorted.entries()) {
    if (!Number.isFinite(s.start) || !Number.isFinite(s.end) || !Number.isFinite(s.pricePerKwh) || !(s.end > s.start)) {
      throw new PlannerInputError(`slots[${i}]`, 'a slot needs finite start < end and a finite price');
    }
    if (s.start < prevEnd) throw new PlannerInputError(`slots[${i}]`, 'slots overlap');
    prevEnd = s.end;
    const start = ceilTo(Math.max(s.start, lo), grid);
    const end = floorTo(Math.min(s.end, hi), grid);
    if (end > start) out.push({ start, end, price: s.pricePerKwh });
  }
  return out;
}

/** Segments from `t` on (a segment containing `t` is cut there). */
export function segmentsFrom(segments: readonly Segment[], t: number): Segment[] {
  const out: Segment[] = [];
  for (const s of segments) {
    if (s.end <= t) continue;
    out.push(s.start >= t ? s : { ...s, start: t });
  }
  return out;
}
