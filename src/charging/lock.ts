/**
 * One cycle per car at a time: an in-process queue (concurrent requests to this Worker wait their turn) plus
 * the store's lease under a key of its own (`cycle:VIN`), so two Worker processes cannot both write the same
 * car's schedules. The lease expires, so a crashed Worker blocks a car for at most its TTL.
 */
import type { TokenStore } from '../tokens/store.js';

export class CycleBusyError extends Error {
  override readonly name = 'CycleBusyError';
  constructor(
    readonly vin: string,
    readonly holder: string,
  ) {
    super(`another Worker (${holder}) is running the charging cycle of ${vin}`);
  }
}

export type LeaseStore = Pick<TokenStore, 'acquireLease' | 'releaseLease' | 'getLease'>;

export class VehicleLocks {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: LeaseStore,
    private readonly holder: string,
    private readonly ttlMs: number,
  ) {}

  async run<T>(vin: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(vin) ?? Promise.resolve();
    const mine = previous.catch(() => undefined).then(() => this.underLease(vin, task));
    this.queues.set(vin, mine);
    try {
      return await mine;
    } finally {
      if (this.queues.get(vin) === mine) this.queues.delete(vin);
    }
  }

  private async underLease<T>(vin: string, task: () => Promise<T>): Promise<T> {
    const key = `cycle:${vin}`;
    const lease = await this.store.acquireLease(key, this.holder, this.ttlMs);
    if (!lease) throw new CycleBusyError(vin, (await this.store.getLease(key))?.holder ?? 'unknown');
    try {
      return await task();
    } finally {
      await this.store.releaseLease(key, this.holder).catch(() => undefined);
    }
  }
}
