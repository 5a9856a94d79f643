/**
 * What the Worker records per car, in the same store as the tokens (so Scout and Worker share one truth).
 * Written after each cycle; the plan hash is committed only after the plan was applied and verified, so a
 * failed apply is retried (the original stored the hash first and never retried).
 */
import type { VehicleSnapshot } from '../tesla/vehicle-data.js';
import type { StateDoc, TokenStore } from '../tokens/store.js';
import { VersionConflictError } from '../tokens/store.js';
import type { Place } from './scout-machine.js';

export interface AppliedSchedule {
  key: string;
  date: string;
  start: number;
  end: number;
  kind: 'charge' | 'hold';
}

export interface VehicleState {
  vin: string;
  place: Place;
  snapshot: VehicleSnapshot | null;
  /** Ids of the car's schedules that offpeak added; only these may ever be removed. */
  ours: number[];
  applied: {
    hash: string;
    at: number;
    source: 'tariff' | 'fallback';
    readyBy: number;
    /** The charge the plan was for: once its windows have passed, the car is assumed to be there. */
    targetPercent?: number;
    schedules: AppliedSchedule[];
  } | null;
  lastCycle: { at: number; reason: string; outcome: string } | null;
  /** The owner's charge limit before a one-off target raised it; restored once no target needs it. */
  raisedLimitFrom?: number | null;
}

export type StateStore = Pick<TokenStore, 'getState' | 'putState'>;

export const vehicleKey = (vin: string): string => `vehicle:${vin}`;

export const emptyVehicleState = (vin: string): VehicleState => ({ vin, place: 'unknown', snapshot: null, ours: [], applied: null, lastCycle: null });

/** Read-modify-write with compare-and-swap; retried a few times when someone else wrote in between. */
export async function updateState<T>(store: StateStore, key: string, initial: T, change: (current: T) => T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const doc: StateDoc<T> | null = await store.getState<T>(key);
    const next = change(doc ? doc.value : initial);
    try {
      await store.putState(key, next, doc?.version ?? 0);
      return next;
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= 4) throw error;
    }
  }
}
