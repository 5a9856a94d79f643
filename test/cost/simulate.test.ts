import { describe, expect, it } from 'vitest';
import { computeBill } from '../../src/cost/bill.js';
import { monthCounters, simulateMonth } from '../../src/cost/simulate.js';

describe('a simulated month of the real Scout tick and Worker token path', () => {
  it('is deterministic, and a two-car household stays inside the free tiers', async () => {
    const first = await simulateMonth({ cars: 2 });
    const second = await simulateMonth({ cars: 2 });
    expect(second).toEqual(first);

    // 96 Scout ticks a day, each one GET /get-token, plus the daily replan call of Cloud Scheduler.
    expect(first.scout.invocations).toBe(30 * 96);
    expect(first.scout.ok).toBe(30 * 96);
    expect(first.scout.bySource).toEqual({ worker: 30 * 96 });
    expect(first.worker.byRoute['GET /get-token']).toBe(30 * 96);
    expect(first.worker.byRoute['POST /run-cycle']).toBe(30);
    // 8-hour tokens refreshed at 75 % of their life: every 6 hours, 4 a day, each saved to the store.
    expect(first.tesla.refreshes).toBe(30 * 4);
    expect(first.tesla.loginRequired).toBe(0);
    expect(first.firestore.total.writes).toBeGreaterThanOrEqual(first.tesla.refreshes);
    expect(first.tesla.byEndpoint.list).toBe(30 * 96);

    const bill = computeBill(monthCounters(first));
    expect(bill.insideFreeTiers).toBe(true);
    expect(bill.savingPercent).toBeGreaterThanOrEqual(85);
  }, 90_000);

  it('counts per day, so the daily Firestore free tier can be applied', async () => {
    const month = await simulateMonth({ cars: 1, days: 3 });
    expect(month.firestore.byDay).toHaveLength(3);
    expect(month.firestore.byDay.reduce((s, d) => s + d.reads, 0)).toBe(month.firestore.total.reads);
    expect(month.scout.invocations).toBe(3 * 96);
  }, 30_000);
});
