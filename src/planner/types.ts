/**
 * The planner's input and output. Pure data, epoch milliseconds, kWh and kW; no time zones here (those live in
 * the tariff sources and in the schedule conversion).
 */
import type { PriceSlot } from '../tariff/types.js';

export type PlanMode = 'cheapest' | 'continuous';
export const PLAN_MODES: readonly PlanMode[] = ['cheapest', 'continuous'];

export interface PlanInput {
  /** Known prices. Time without a slot has no known price and is never used for charging. */
  slots: readonly PriceSlot[];
  now: number;
  /** The car must have its charge by then. */
  readyBy: number;
  /** State of charge now, percent. */
  socPercent: number;
  /** Wanted state of charge at readyBy, percent (the car's charge limit should be set to it). */
  targetPercent: number;
  /** Below this, charge at once whatever the price (default 0: no floor). Must not exceed the target. */
  floorPercent?: number;
  capacityKwh: number;
  /** Charging power drawn from the grid, kW. */
  powerKw: number;
  /** Grid-to-battery efficiency in (0, 1]; grid energy = battery energy / efficiency. Default 1. */
  efficiency?: number;
  /** 'cheapest' (default): cheapest set of slots. 'continuous': cheapest single window. */
  mode?: PlanMode;
  /**
   * Time grid of windows, ms. Default one minute: Tesla schedules are whole minutes. Window edges sit on the grid,
   * the planning range is [now rounded up, readyBy rounded down].
   */
  granularityMs?: number;
}

/** A time the car charges: [start, end), with the grid energy it takes in it and what that costs. */
export interface PlannedWindow {
  start: number;
  end: number;
  kwh: number;
  cost: number;
}

export interface Plan {
  mode: PlanMode;
  /** Sorted, not overlapping, not touching (adjacent windows are merged). */
  windows: PlannedWindow[];
  /** Grid energy needed to go from the SoC to the target. */
  requiredKwh: number;
  /** Of which charged first, at once, to reach the floor. */
  floorKwh: number;
  totalKwh: number;
  totalCost: number;
  /** Energy that could not be placed before readyBy in time with known prices (0 when the plan is complete). */
  shortfallKwh: number;
}

export class PlannerInputError extends Error {
  override name = 'PlannerInputError';
  constructor(
    /** The input field at fault. */
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}
