/**
 * From a car's state, the configuration, the active one-off target and the tariff: the schedules the car must
 * hold. When the tariff fails, the safe fallback: only up to a safe minimum, only inside the configured cheap
 * window (the original once charged ~77 kWh at peak price after one API error). A plan with nothing to charge
 * still yields a hold schedule, so a plugged-in car never starts charging on its own.
 */
import { createHash } from 'node:crypto';
import { fallbackPlan, holdSchedule, planCharging, planSchedules, type Plan, type PlannedSchedule } from '../planner/index.js';
import type { Tariff } from '../tariff/index.js';
import type { ChargingConfig } from './config.js';
import { nextLocalTime } from './local-time.js';
import type { ChargeTarget } from './targets.js';

export interface CarState {
  batteryLevel: number;
  chargeLimitSoc: number;
}

export interface CarPlan {
  source: 'tariff' | 'fallback';
  /** Why the fallback was used. */
  fallbackReason: string | null;
  targetPercent: number;
  targetId: string | null;
  readyBy: number;
  plan: Plan;
  schedules: PlannedSchedule[];
  /** The charge limit to set first, when the target is above the car's limit. */
  setLimitTo: number | null;
  /** Identifies the plan's content (schedules and limit), to record what was applied. */
  hash: string;
}

export async function planForCar(input: {
  car: CarState;
  config: ChargingConfig;
  tariff: Tariff | null;
  target: ChargeTarget | null;
  now: number;
}): Promise<CarPlan> {
  const { car, config, target, now } = input;
  const targetPercent = Math.min(100, target?.percent ?? config.targetPercent ?? car.chargeLimitSoc);
  const readyBy = target?.readyBy ?? nextLocalTime(now, config.readyBy, config.timeZone);
  const where = { timeZone: config.timeZone, lat: config.home.lat, lon: config.home.lon };
  const common = { socPercent: car.batteryLevel, capacityKwh: config.capacityKwh, powerKw: config.powerKw };

  let plan: Plan;
  let source: CarPlan['source'] = 'tariff';
  let fallbackReason: string | null = null;
  let until = readyBy;
  try {
    if (!input.tariff) throw new Error('no tariff configured');
    const slots = await input.tariff.pricesBetween(now, readyBy);
    plan = planCharging({ ...common, slots, now, readyBy, targetPercent, floorPercent: Math.min(config.floorPercent, targetPercent) });
  } catch (error) {
    source = 'fallback';
    fallbackReason = error instanceof Error ? error.message : String(error);
    const safeMin = Math.min(config.fallback.safeMinPercent, targetPercent);
    plan = fallbackPlan({ ...common, now, safeMinPercent: safeMin, cheapWindow: config.fallback.cheapWindow, timeZone: config.timeZone });
    until = now + 24 * 3_600_000;
  }
  // Guards: one-minute holds at this ready-by time and the next day's. Once tonight's one-time windows are used
  // up, the car still holds a schedule, so it does not start charging at once when plugged in tomorrow evening
  // (before the Scout has seen it); and tomorrow's plan already finds its first guard in the car.
  const dailyReadyBy = target ? nextLocalTime(now, config.readyBy, config.timeZone) : until;
  const schedules = withGuards(planSchedules(plan.windows, now, until, where), [holdSchedule(now, dailyReadyBy, where), holdSchedule(now, dailyReadyBy + 24 * 3_600_000, where)]);
  const setLimitTo = source === 'tariff' && targetPercent > car.chargeLimitSoc ? Math.max(50, targetPercent) : null;
  const hash = createHash('sha256')
    .update(JSON.stringify({ s: schedules.map((s) => [s.date, s.params]), setLimitTo }))
    .digest('hex')
    .slice(0, 16);
  return { source, fallbackReason, targetPercent, targetId: target?.id ?? null, readyBy: until, plan, schedules, setLimitTo, hash };
}

function withGuards(schedules: PlannedSchedule[], guards: PlannedSchedule[]): PlannedSchedule[] {
  const key = (s: PlannedSchedule) => JSON.stringify([s.date, s.params]);
  const seen = new Set(schedules.map(key));
  return [...schedules, ...guards.filter((g) => !seen.has(key(g)))].sort((a, b) => a.start - b.start);
}
