/**
 * A tariff over a fixed list of price slots (a price file, or an answer already fetched from a market API).
 */
import { TariffParseError } from './errors.js';
import type { PriceSlot, Tariff } from './types.js';

/**
 * Checks that slots are usable by the planner: finite numbers, start < end, sorted, no overlap. Returns them
 * sorted. `where` names the source in the error.
 */
export function checkSlots(slots: readonly PriceSlot[], where: string): PriceSlot[] {
  const sorted = [...slots].sort((a, b) => a.start - b.start);
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i] as PriceSlot;
    if (!Number.isFinite(s.start) || !Number.isFinite(s.end) || !Number.isFinite(s.pricePerKwh)) {
      throw new TariffParseError(where, `slot ${i} has a non-finite start, end or price`);
    }
    if (!(s.end > s.start)) {
      throw new TariffParseError(where, `slot at ${new Date(s.start).toISOString()} does not end after it starts`);
    }
    const prev = sorted[i - 1];
    if (prev && prev.end > s.start) {
      throw new TariffParseError(
        where,
        `slots overlap: ${new Date(prev.start).toISOString()} and ${new Date(s.start).toISOString()}`,
      );
    }
  }
  return sorted;
}

/** Slots overlapping [startMs, endMs), clipped to it. `slots` must be sorted and not overlap. */
export function clipSlots(slots: readonly PriceSlot[], startMs: number, endMs: number): PriceSlot[] {
  const out: PriceSlot[] = [];
  // Binary search for the first slot ending after startMs: price files hold years of hours.
  let lo = 0;
  let hi = slots.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((slots[mid] as PriceSlot).end <= startMs) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < slots.length; i++) {
    const s = slots[i] as PriceSlot;
    if (s.start >= endMs) break;
    out.push({ start: Math.max(s.start, startMs), end: Math.min(s.end, endMs), pricePerKwh: s.pricePerKwh });
  }
  return out;
}

export class SlotTariff implements Tariff {
  readonly slots: readonly PriceSlot[];
  constructor(
    readonly name: string,
    readonly currency: string,
    slots: readonly PriceSlot[],
  ) {
    this.slots = checkSlots(slots, name);
  }
  async pricesBetween(startMs: number, endMs: number): Promise<PriceSlot[]> {
    return clipSlots(this.slots, startMs, endMs);
  }
}
