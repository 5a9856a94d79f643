/**
 * What a scenario run measured, from the simulator's view of the car (admin reads never touch a car): time
 * awake, energy and its cost, and per plug-in session the delay until the plan was in the car and the cost
 * the same energy would have had if the car had charged at once on plug-in.
 */
import type { Tariff } from '../tariff/index.js';

export interface CarView {
  state: string;
  battery_level_exact: number;
  plugged_in: boolean;
  charging_state: string;
  battery_capacity_kwh: number;
  charger_power_kw: number;
}

export interface Session {
  plugAt: number;
  unplugAt: number | null;
  kwh: number;
  cost: number;
  /** When a verified plan (or a verified unchanged plan) was first in the car after plugging in. */
  planAt: number | null;
}

export class RunMetrics {
  awakeMs = 0;
  kwh = 0;
  cost = 0;
  readonly sessions: Session[] = [];
  private last: { t: number; view: CarView } | null = null;

  constructor(private readonly tariff: Tariff) {}

  get open(): Session | null {
    const s = this.sessions.at(-1);
    return s && s.unplugAt === null ? s : null;
  }

  plugged(t: number): void {
    if (!this.open) this.sessions.push({ plugAt: t, unplugAt: null, kwh: 0, cost: 0, planAt: null });
  }

  unplugged(t: number): void {
    const s = this.open;
    if (s) s.unplugAt = t;
  }

  planInCar(t: number): void {
    const s = this.open;
    if (s && s.planAt === null) s.planAt = t;
  }

  async sample(t: number, view: CarView): Promise<void> {
    const prev = this.last;
    this.last = { t, view };
    if (!prev) return;
    if (prev.view.state === 'online') this.awakeMs += t - prev.t;
    const gained = view.battery_level_exact - prev.view.battery_level_exact;
    if (gained > 1e-9 && view.plugged_in) {
      const kwh = (gained / 100) * view.battery_capacity_kwh;
      const cost = kwh * (await this.averagePrice(prev.t, t));
      this.kwh += kwh;
      this.cost += cost;
      const s = this.open;
      if (s) {
        s.kwh += kwh;
        s.cost += cost;
      }
    }
  }

  /** The cost of the same energy charged from the plug-in moment at full power. */
  async immediateCost(s: Session, powerKw: number): Promise<number> {
    if (s.kwh <= 0) return 0;
    const end = s.plugAt + Math.ceil((s.kwh / powerKw) * 3_600_000);
    return s.kwh * (await this.averagePrice(s.plugAt, end));
  }

  private async averagePrice(from: number, to: number): Promise<number> {
    const slots = await this.tariff.pricesBetween(from, to);
    let sum = 0;
    let covered = 0;
    for (const slot of slots) {
      const d = Math.min(slot.end, to) - Math.max(slot.start, from);
      if (d > 0) {
        sum += d * slot.pricePerKwh;
        covered += d;
      }
    }
    return covered > 0 ? sum / covered : 0;
  }
}

export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
