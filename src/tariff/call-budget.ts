/**
 * A daily call budget: the OFF PEAK CHARGE API allows 30 calls a day per key, the day resetting at midnight UTC.
 * The counter is an interface so that the Worker can persist it (a store, a file) and tests can inject one;
 * the memory one suits a single process that may forget on restart.
 */

export interface CallBudget {
  /** Calls already counted on a UTC day ("YYYY-MM-DD"). */
  get(dayUtc: string): Promise<number> | number;
  /** Counts one more call on that day and returns the new count. Must be atomic for concurrent callers. */
  increment(dayUtc: string): Promise<number> | number;
}

/** The UTC calendar day of an instant: the budget's key. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

export class MemoryCallBudget implements CallBudget {
  private readonly counts = new Map<string, number>();
  get(dayUtc: string): number {
    return this.counts.get(dayUtc) ?? 0;
  }
  increment(dayUtc: string): number {
    const n = this.get(dayUtc) + 1;
    // Only today's count matters; dropping older days keeps a long-running process small.
    for (const day of this.counts.keys()) if (day < dayUtc) this.counts.delete(day);
    this.counts.set(dayUtc, n);
    return n;
  }
}
