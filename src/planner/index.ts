/** The planning core: pure functions from prices and battery state to windows and Tesla schedules. */
export * from './types.js';
export { planCharging, validatePlanInput, gridKwhBetween, DEFAULT_GRANULARITY_MS } from './plan.js';
export { cheapestWindows, earliestWindows, type Placement } from './cheapest.js';
export { continuousWindow } from './continuous.js';
export { mergeIntervals, chargeProfile, type Interval } from './windows.js';
export {
  windowsToSchedules,
  holdSchedule,
  planSchedules,
  scheduleInstants,
  splitByLocalDay,
  type AddChargeScheduleParams,
  type PlannedSchedule,
  type ScheduleOptions,
} from './schedules.js';
export { fallbackPlan, dailyWindowSlots, type FallbackInput } from './fallback.js';
