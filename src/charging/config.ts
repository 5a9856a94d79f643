import type { HomeCircle } from './geo.js';

/** What the charging cycle needs to know about the installation (built from the environment by the CLI). */
export interface ChargingConfig {
  home: HomeCircle;
  /** Home time zone: schedules, ready-by times and the daily replan are in it, DST included. */
  timeZone: string;
  capacityKwh: number;
  powerKw: number;
  /** Daily ready-by time, "HH:MM" home time. */
  readyBy: string;
  /** Below this SoC, charge at once whatever the price. */
  floorPercent: number;
  /** null: the car's own charge limit is the target. */
  targetPercent: number | null;
  /** When the tariff source fails: only up to safeMinPercent, only inside cheapWindow. */
  fallback: { safeMinPercent: number; cheapWindow: { from: string; to: string } };
  /** A one-off target is planned for once its ready-by time is this close. */
  targetHorizonMs: number;
}

export const CHARGING_DEFAULTS = {
  capacityKwh: 75,
  powerKw: 11,
  readyBy: '07:00',
  floorPercent: 20,
  targetPercent: null,
  fallback: { safeMinPercent: 50, cheapWindow: { from: '22:00', to: '06:00' } },
  targetHorizonMs: 36 * 3_600_000,
} as const;
