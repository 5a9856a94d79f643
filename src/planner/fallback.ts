/**
 * The safe plan for when the tariff source fails: charge only up to a safe minimum, and only inside a configured
 * cheap window (e.g. 22:00-06:00 home time). Never a full charge, never at an unknown price right now: the
 * original system once charged ~77 kWh at peak price after one API error.
 */
import { Temporal } from 'temporal-polyfill';
import { DEFAULT_TIME_ZONE, instantAt, parseHhMm, zoned } from '../tariff/local-time.js';
import type { PriceSlot } from '../tariff/types.js';
import { planCharging } from './plan.js';
import { PlannerInputError, type Plan } from './types.js';

export interface FallbackInput {
  now: number;
  socPercent: number;
  /** Charge up to this and no further. */
  safeMinPercent: number;
  capacityKwh: number;
  powerKw: number;
  efficiency?: number;
  /** Local times "HH:MM"; to < from wraps over midnight. */
  cheapWindow: { from: string; to: string };
  timeZone?: string;
  /** How far ahead to look for the cheap window. Default 24 h: the next occurrence. */
  horizonMs?: number;
  /** Price to report for the cheap window; the real one is unknown when the source failed. Default 0. */
  assumedPricePerKwh?: number;
  granularityMs?: number;
}

/** The occurrences of a daily local window overlapping [from, to). */
export function dailyWindowSlots(window: { from: string; to: string }, from: number, to: number, timeZone: string, price: number): PriceSlot[] {
  const start = parseHhMm(window.from, true);
  const end = parseHhMm(window.to, true);
  if (start === null) throw new PlannerInputError('cheapWindow.from', `"${window.from}" is not a time HH:MM`);
  if (end === null) throw new PlannerInputError('cheapWindow.to', `"${window.to}" is not a time HH:MM`);
  if (start === end) throw new PlannerInputError('cheapWindow', 'from and to are equal: the window would be empty or the whole day');
  const slots: PriceSlot[] = [];
  const last = zoned(to, timeZone).toPlainDate();
  for (let d = zoned(from, timeZone).toPlainDate().subtract({ days: 1 }); Temporal.PlainDate.compare(d, last) <= 0; d = d.add({ days: 1 })) {
    const s = instantAt(d, start, timeZone);
    const e = end > start ? instantAt(d, end, timeZone) : instantAt(d.add({ days: 1 }), end, timeZone);
    const cs = Math.max(s, from);
    const ce = Math.min(e, to);
    if (ce > cs) slots.push({ start: cs, end: ce, pricePerKwh: price });
  }
  return slots;
}

export function fallbackPlan(input: FallbackInput): Plan {
  const timeZone = input.timeZone ?? DEFAULT_TIME_ZONE;
  const horizonEnd = input.now + (input.horizonMs ?? 24 * 3_600_000);
  const slots = dailyWindowSlots(input.cheapWindow, input.now, horizonEnd, timeZone, input.assumedPricePerKwh ?? 0);
  return planCharging({
    slots,
    now: input.now,
    readyBy: horizonEnd,
    socPercent: input.socPercent,
    targetPercent: Math.max(input.socPercent, input.safeMinPercent),
    capacityKwh: input.capacityKwh,
    powerKw: input.powerKw,
    efficiency: input.efficiency,
    mode: 'cheapest',
    granularityMs: input.granularityMs,
  });
}
