/** One-off charge targets ("90 % by Saturday 07:00"), kept per car in the store beside its state. */
export interface ChargeTarget {
  id: string;
  percent: number;
  /** Epoch ms. */
  readyBy: number;
  createdAt: number;
}

export interface TargetsDoc {
  targets: ChargeTarget[];
}

export const targetsKey = (vin: string): string => `targets:${vin}`;

/** Targets whose time has passed are dropped: nothing that shapes planning lives forever. */
export const liveTargets = (targets: readonly ChargeTarget[], now: number): ChargeTarget[] =>
  targets.filter((t) => t.readyBy > now).sort((a, b) => a.readyBy - b.readyBy);

/** The target the plan works towards now: the earliest live one within the horizon. */
export function activeTarget(targets: readonly ChargeTarget[], now: number, horizonMs: number): ChargeTarget | null {
  return liveTargets(targets, now).find((t) => t.readyBy - now <= horizonMs) ?? null;
}
