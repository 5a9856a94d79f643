/**
 * Reconciliation by content: the schedules the plan wants vs the schedules the car holds.
 *   - add what the plan wants and the car does not hold (by content, whoever made the one it holds);
 *   - remove only schedules this system created (their ids are recorded in the store) that the plan no longer
 *     wants, and duplicates of ours (two cycles that ran at once);
 *   - never the owner's, never one away from home, never preconditioning (they are not in this list at all);
 *   - the car's schedules unknown (read failed) → abort: "unknown" is not "empty".
 * Pure; the cycle does the sending.
 */
import type { CarChargeSchedule } from '../tesla/vehicle-data.js';
import { isHome, type HomeCircle } from './geo.js';
import { contentKey, contentOfCar, contentOfParams, windowsOverlap, type ScheduleParams } from './schedule-key.js';

export interface ReconcileInput {
  desired: readonly ScheduleParams[];
  /** null: the car's schedules could not be read. */
  car: readonly CarChargeSchedule[] | null;
  /** Ids of schedules this system added, as recorded in the store. */
  ours: readonly number[];
  home: HomeCircle;
}

export type Reconciliation =
  | { ok: false; reason: 'schedules_unknown' }
  | {
      ok: true;
      add: ScheduleParams[];
      remove: number[];
      /** Owner schedules at home whose window overlaps a planned one (reported, never touched). */
      ownerOverlaps: number[];
    };

export function reconcile(input: ReconcileInput): Reconciliation {
  if (input.car === null) return { ok: false, reason: 'schedules_unknown' };
  const ours = new Set(input.ours);
  const carKeys = new Set(input.car.filter((s) => s.enabled).map((s) => contentKey(contentOfCar(s))));
  const wanted = new Map<string, ScheduleParams>();
  for (const d of input.desired) wanted.set(contentKey(contentOfParams(d)), d);

  const add = [...wanted].filter(([key]) => !carKeys.has(key)).map(([, params]) => params);

  const remove: number[] = [];
  const keptOurs = new Set<string>();
  for (const s of input.car) {
    if (!ours.has(s.id) || !isHome(input.home, s)) continue;
    const key = contentKey(contentOfCar(s));
    if (wanted.has(key) && !keptOurs.has(key)) keptOurs.add(key);
    else remove.push(s.id);
  }

  const desiredContent = [...wanted.values()].map(contentOfParams);
  const ownerOverlaps = input.car
    .filter((s) => !ours.has(s.id) && isHome(input.home, s))
    .filter((s) => desiredContent.some((d) => windowsOverlap(contentOfCar(s), d) && !wanted.has(contentKey(contentOfCar(s)))))
    .map((s) => s.id);

  return { ok: true, add, remove, ownerOverlaps };
}

/** After sending: the car schedules that are ours now (matching what we wanted and not the owner's before). */
export function oursAfter(input: {
  desired: readonly ScheduleParams[];
  before: readonly CarChargeSchedule[];
  after: readonly CarChargeSchedule[];
  ours: readonly number[];
}): number[] {
  const wanted = new Set(input.desired.map((d) => contentKey(contentOfParams(d))));
  const ownersBefore = new Set(input.before.filter((s) => !input.ours.includes(s.id)).map((s) => s.id));
  return input.after.filter((s) => !ownersBefore.has(s.id) && wanted.has(contentKey(contentOfCar(s)))).map((s) => s.id);
}

/** Every wanted schedule is in the car (the verify step). */
export function allPresent(desired: readonly ScheduleParams[], car: readonly CarChargeSchedule[]): boolean {
  const keys = new Set(car.filter((s) => s.enabled).map((s) => contentKey(contentOfCar(s))));
  return desired.every((d) => keys.has(contentKey(contentOfParams(d))));
}
