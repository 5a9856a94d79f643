/**
 * The charging side of the Worker as one object: run cycles (one car or all cars of the account), one-off
 * targets, and the daily replan. The HTTP routes, `offpeak run` and the demo all go through it.
 */
import { randomUUID } from 'node:crypto';
import { runVehicleCycle, type CycleDeps, type CycleResult } from './cycle.js';
import { liveTargets, targetsKey, type ChargeTarget, type TargetsDoc } from './targets.js';
import { updateState, vehicleKey, type VehicleState } from './vehicle-state.js';

export class TargetInputError extends Error {
  override readonly name = 'TargetInputError';
}

export class ChargingService {
  constructor(readonly deps: CycleDeps) {}

  async vins(): Promise<string[]> {
    return (await this.deps.fleet.listVehicles(await this.deps.accessToken())).map((v) => v.vin);
  }

  /** One car, or every car of the account (one after the other: each has its own lock anyway). */
  async runCycle(vin: string | undefined, reason: string): Promise<CycleResult[]> {
    const vins = vin ? [vin] : await this.vins();
    const results: CycleResult[] = [];
    for (const v of vins) results.push(await runVehicleCycle(this.deps, v, reason));
    return results;
  }

  /**
   * The daily replan: only cars last recorded plugged in at home. An asleep one is woken only when the plan
   * computed from its recorded state differs from what it holds.
   */
  async dailyReplan(): Promise<CycleResult[]> {
    const results: CycleResult[] = [];
    for (const vin of await this.vins()) {
      const state = (await this.deps.store.getState<VehicleState>(vehicleKey(vin)))?.value;
      if (state?.place !== 'home_plugged') continue;
      // Replanning in the middle of a window being charged would only move its start: leave it be.
      const now = this.deps.clock.now();
      if (state.applied?.schedules.some((s) => s.kind === 'charge' && s.start <= now && now < s.end)) continue;
      results.push(await runVehicleCycle(this.deps, vin, 'daily_replan'));
    }
    return results;
  }

  async addTarget(input: { vin?: string; percent: number; readyBy: number }): Promise<{ vin: string; target: ChargeTarget }> {
    const now = this.deps.clock.now();
    if (!Number.isInteger(input.percent) || input.percent < 50 || input.percent > 100) {
      throw new TargetInputError(`percent must be a whole number from 50 to 100 (Tesla's charge limit range), got ${input.percent}`);
    }
    if (!(input.readyBy > now)) throw new TargetInputError('ready_by must be in the future');
    if (input.readyBy - now > 14 * 86_400_000) throw new TargetInputError('ready_by must be within 14 days');
    let vin = input.vin;
    if (!vin) {
      const vins = await this.vins();
      if (vins.length !== 1) throw new TargetInputError(`the account has ${vins.length} vehicles: give vin`);
      vin = vins[0]!;
    }
    const target: ChargeTarget = { id: randomUUID().slice(0, 8), percent: input.percent, readyBy: input.readyBy, createdAt: now };
    await updateState<TargetsDoc>(this.deps.store, targetsKey(vin), { targets: [] }, (cur) => ({ targets: [...liveTargets(cur.targets, now), target] }));
    this.deps.log.info({ event: 'target_added', vin, percent: target.percent, readyBy: new Date(target.readyBy).toISOString() }, `one-off target for ${vin}: ${target.percent}% by ${new Date(target.readyBy).toISOString()}`);
    return { vin, target };
  }

  async targets(vin: string): Promise<ChargeTarget[]> {
    return liveTargets((await this.deps.store.getState<TargetsDoc>(targetsKey(vin)))?.value.targets ?? [], this.deps.clock.now());
  }
}
