/**
 * The planner: battery state + target + deadline + known prices → the cheapest charging windows.
 *
 *   required energy (grid side) = (target − SoC) × capacity / efficiency
 *   1. Energy below the floor is charged at once, as early as possible, whatever the price.
 *   2. The rest goes into the cheapest slots (or the cheapest single window) between the floor's end and readyBy.
 *   3. Touching windows are merged; kWh and cost per window are what the car will really take.
 * Pure: no clock, no I/O, no time zones.
 */
import { earliestWindows, cheapestWindows } from './cheapest.js';
import { continuousWindow } from './continuous.js';
import { horizonSegments, segmentsFrom } from './horizon.js';
import { chargeProfile, ENERGY_EPS, mergeIntervals } from './windows.js';
import { PLAN_MODES, PlannerInputError, type Plan, type PlanInput, type PlanMode } from './types.js';

export const DEFAULT_GRANULARITY_MS = 60_000;

function check(field: string, ok: boolean, problem: string): void {
  if (!ok) throw new PlannerInputError(field, problem);
}

const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);

export function validatePlanInput(input: PlanInput): void {
  check('now', finite(input.now), 'must be a time in epoch milliseconds');
  check('readyBy', finite(input.readyBy), 'must be a time in epoch milliseconds');
  for (const f of ['socPercent', 'targetPercent'] as const) {
    check(f, finite(input[f]) && input[f] >= 0 && input[f] <= 100, `must be a percentage 0-100, got ${input[f]}`);
  }
  const floor = input.floorPercent ?? 0;
  check('floorPercent', finite(floor) && floor >= 0 && floor <= 100, `must be a percentage 0-100, got ${floor}`);
  check('floorPercent', floor <= input.targetPercent, `floor ${floor}% is above the target ${input.targetPercent}%`);
  check('capacityKwh', finite(input.capacityKwh) && input.capacityKwh > 0, `must be a positive number of kWh, got ${input.capacityKwh}`);
  check('powerKw', finite(input.powerKw) && input.powerKw > 0, `must be a positive number of kW, got ${input.powerKw}`);
  const eff = input.efficiency ?? 1;
  check('efficiency', finite(eff) && eff > 0 && eff <= 1, `must be in (0, 1], got ${eff}`);
  const grid = input.granularityMs ?? DEFAULT_GRANULARITY_MS;
  check('granularityMs', Number.isInteger(grid) && grid >= 1, `must be a positive whole number of ms, got ${grid}`);
  check('mode', PLAN_MODES.includes(input.mode ?? 'cheapest'), `must be one of ${PLAN_MODES.join(', ')}`);
  check('slots', Array.isArray(input.slots), 'must be an array of price slots');
}

/** Grid energy to bring the battery from one SoC to another (0 if already there). */
export function gridKwhBetween(fromPercent: number, toPercent: number, capacityKwh: number, efficiency = 1): number {
  return (Math.max(0, toPercent - fromPercent) / 100) * capacityKwh / efficiency;
}

export function planCharging(input: PlanInput): Plan {
  validatePlanInput(input);
  const mode: PlanMode = input.mode ?? 'cheapest';
  const grid = input.granularityMs ?? DEFAULT_GRANULARITY_MS;
  const eff = input.efficiency ?? 1;
  const requiredKwh = gridKwhBetween(input.socPercent, input.targetPercent, input.capacityKwh, eff);
  const floorKwh = Math.min(requiredKwh, gridKwhBetween(input.socPercent, input.floorPercent ?? 0, input.capacityKwh, eff));
  const segs = horizonSegments(input.slots, input.now, input.readyBy, grid);

  const floor = earliestWindows(segs, floorKwh, input.powerKw, grid);
  const floorEnd = floor.windows.length ? (floor.windows[floor.windows.length - 1] as { end: number }).end : -Infinity;
  const rest = segmentsFrom(segs, floorEnd);
  const restKwh = requiredKwh - floorKwh;
  const main =
    mode === 'continuous'
      ? continuousWindow(rest, restKwh, input.powerKw, grid)
      : cheapestWindows(rest, restKwh, input.powerKw, grid);

  const merged = mergeIntervals([...floor.windows, ...main.windows]);
  const windows = chargeProfile(merged, segs, floor.placedKwh + main.placedKwh, input.powerKw);
  const totalKwh = windows.reduce((s, w) => s + w.kwh, 0);
  const totalCost = windows.reduce((s, w) => s + w.cost, 0);
  const shortfall = requiredKwh - totalKwh;
  return {
    mode,
    windows,
    requiredKwh,
    floorKwh,
    totalKwh,
    totalCost,
    shortfallKwh: shortfall > ENERGY_EPS * Math.max(1, requiredKwh) ? shortfall : 0,
  };
}
