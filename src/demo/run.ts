/** Runs a scenario with a strategy and sums it up: shared by `offpeak demo`, the tests and the bench. */
import { PRICE_USD } from '../tesla/billing.js';
import type { Tariff } from '../tariff/index.js';
import { percentile } from './metrics.js';
import type { Scenario } from './scenarios.js';
import { World, type Strategy, type TimelineEntry } from './world.js';

export interface RunSummary {
  strategy: string;
  scenario: string;
  days: number;
  calls: { data: number; command: number; wake: number; free: number };
  usd: number;
  usdPerVehicleMonth: number;
  wakes: number;
  awakeHours: number;
  kwh: number;
  cost: number;
  immediateCost: number;
  currency: string;
  /** Plug-in → plan verified in the car, minutes, per session (null: never). */
  planDelaysMin: Array<number | null>;
  delayP50Min: number | null;
  delayP95Min: number | null;
  timeline: TimelineEntry[];
}

export async function runScenario(scenario: Scenario, tariff: Tariff, strategy: Strategy, setup?: (world: World) => Promise<void>): Promise<RunSummary> {
  const world = await World.create(scenario, tariff);
  try {
    await setup?.(world);
    await world.run(strategy);
    const stats = await world.stats();
    const b = stats.billing;
    const calls = { data: b.data.count, command: b.command.count, wake: b.wake.count, free: b.free.count };
    const usd = calls.data * PRICE_USD.data + calls.command * PRICE_USD.command + calls.wake * PRICE_USD.wake;
    const power = (await world.car()).charger_power_kw;
    let immediateCost = 0;
    for (const s of world.metrics.sessions) immediateCost += await world.metrics.immediateCost(s, power);
    const delays = world.metrics.sessions.map((s) => (s.planAt === null ? null : (s.planAt - s.plugAt) / 60_000));
    const known = delays.filter((d): d is number => d !== null);
    return {
      strategy: strategy.name,
      scenario: scenario.name,
      days: scenario.days,
      calls,
      usd,
      usdPerVehicleMonth: (usd / scenario.days) * 30,
      wakes: stats.wakes,
      awakeHours: world.metrics.awakeMs / 3_600_000,
      kwh: world.metrics.kwh,
      cost: world.metrics.cost,
      immediateCost,
      currency: tariff.currency,
      planDelaysMin: delays,
      delayP50Min: percentile(known, 50),
      delayP95Min: percentile(known, 95),
      timeline: [...world.timeline].sort((a, b) => a.at - b.at),
    };
  } finally {
    await world.close();
  }
}
