import { describe, expect, it } from 'vitest';
import { computeBill, DEFAULT_ASSUMPTIONS, type MonthCounters } from '../../src/cost/bill.js';
import { priceValues } from '../../src/cost/prices.js';

const prices = priceValues();
const zeroDay = () => ({ reads: 0, writes: 0, deletes: 0 });
const counters = (over: Partial<MonthCounters> = {}): MonthCounters => ({
  days: 30,
  scoutInvocations: 0,
  workerRequests: 0,
  schedulerJobs: 0,
  firestoreByDay: Array.from({ length: 30 }, zeroDay),
  tesla: { data: 0, command: 0, wake: 0, free: 0 },
  ...over,
});
const line = (bill: ReturnType<typeof computeBill>, service: string, item: string) => bill.lines.find((l) => l.service.startsWith(service) && l.item === item)!;
// Unit-cost assumptions that make usage easy to reason about: 1 billed second of 1 vCPU and 1 GiB per call.
const flat = { ...DEFAULT_ASSUMPTIONS, scoutVcpu: 1, scoutMemoryGib: 1, scoutBilledSecPerInvocation: 1, workerVcpu: 1, workerMemoryGib: 1, workerBilledSecPerRequest: 1 };

describe('the monthly bill from fixed counters', () => {
  it('nothing used costs nothing, and counts as inside the free tiers', () => {
    const bill = computeBill(counters());
    expect(bill.googleUsd).toBe(0);
    expect(bill.teslaUsd).toBe(0);
    expect(bill.insideFreeTiers).toBe(true);
  });

  it('Cloud Run: free up to 2 million requests and 180,000 vCPU-seconds, billed one unit past them', () => {
    const at = computeBill(counters({ scoutInvocations: 180_000 }), flat);
    expect(line(at, 'Cloud Run', 'vCPU-seconds').billable).toBe(0);
    expect(at.lines.filter((l) => l.service.startsWith('Cloud Run')).every((l) => l.usd === 0)).toBe(true);
    const past = computeBill(counters({ scoutInvocations: 100_000, workerRequests: 80_001 }), flat);
    // Scout and Worker share the billing account's free tier.
    expect(line(past, 'Cloud Run', 'vCPU-seconds').billable).toBe(1);
    const requests = computeBill(counters({ scoutInvocations: 2_000_000 + 1_000_000 }), { ...flat, scoutBilledSecPerInvocation: 0 });
    expect(line(requests, 'Cloud Run', 'requests').billable).toBe(1_000_000);
    expect(line(requests, 'Cloud Run', 'requests').usd).toBeCloseTo(0.4, 6);
  });

  it('Cloud Scheduler: 3 jobs free, the 4th costs $0.10', () => {
    expect(line(computeBill(counters({ schedulerJobs: 3 })), 'Cloud Scheduler', 'jobs').usd).toBe(0);
    expect(line(computeBill(counters({ schedulerJobs: 4 })), 'Cloud Scheduler', 'jobs').usd).toBeCloseTo(0.1, 6);
  });

  it('Firestore: the free tier is per day, so one busy day is billed even when the month total is small', () => {
    const days = Array.from({ length: 30 }, zeroDay);
    days[3] = { reads: 50_000, writes: 20_000, deletes: 20_000 };
    expect(computeBill(counters({ firestoreByDay: days })).googleUsd).toBe(0);
    days[4] = { reads: 150_000, writes: 20_000, deletes: 0 };
    const bill = computeBill(counters({ firestoreByDay: days }));
    expect(line(bill, 'Firestore', 'document reads').billable).toBe(100_000);
    expect(line(bill, 'Firestore', 'document reads').usd).toBeCloseTo(prices.firestorePer100kReads, 6);
    expect(line(bill, 'Firestore', 'document writes').billable).toBe(0);
  });

  it('Secret Manager: 10,000 accesses free; each start reads its secrets', () => {
    // 2,500 Worker starts × 2 secrets + 5,000 Scout starts × 1 = 10,000: still free.
    const at = computeBill(counters({ workerRequests: 2_500, scoutInvocations: 5_000 }));
    expect(line(at, 'Secret Manager', 'access operations').usage).toBe(10_000);
    expect(line(at, 'Secret Manager', 'access operations').usd).toBe(0);
    const past = computeBill(counters({ workerRequests: 7_500, scoutInvocations: 5_000 }));
    expect(line(past, 'Secret Manager', 'access operations').billable).toBe(10_000);
    expect(line(past, 'Secret Manager', 'access operations').usd).toBeCloseTo(0.03, 6);
    // Warm instances read nothing again.
    const warm = computeBill(counters({ workerRequests: 7_500, scoutInvocations: 5_000 }), { ...DEFAULT_ASSUMPTIONS, coldStartFraction: 0.5 });
    expect(line(warm, 'Secret Manager', 'access operations').billable).toBe(0);
  });

  it('Tesla: the $10 credit covers 5,000 data requests; one more is billed', () => {
    const at = computeBill(counters({ tesla: { data: 5_000, command: 0, wake: 0, free: 99 } }));
    expect(at.teslaBeforeCreditUsd).toBeCloseTo(10, 6);
    expect(at.teslaUsd).toBe(0);
    const past = computeBill(counters({ tesla: { data: 5_000, command: 1_000, wake: 1, free: 0 } }));
    expect(past.teslaUsd).toBeCloseTo(1 + 0.02, 6);
    expect(past.insideFreeTiers).toBe(false);
    // Two accounts, two credits.
    expect(computeBill(counters({ tesla: { data: 10_000, command: 0, wake: 0, free: 0 } }), { ...DEFAULT_ASSUMPTIONS, teslaAccounts: 2 }).teslaUsd).toBe(0);
  });

  it('the always-on baseline: a month of 1 vCPU / 0.5 GiB with CPU always allocated, free tier applied', () => {
    const bill = computeBill(counters());
    const seconds = 30 * 86_400;
    const expected =
      (seconds - prices.runAlwaysOnFreeVcpuSeconds) * prices.runAlwaysOnVcpuSecond +
      (seconds * 0.5 - prices.runAlwaysOnFreeGibSeconds) * prices.runAlwaysOnGibSecond;
    expect(bill.baseline.usd).toBeCloseTo(expected, 3);
    expect(bill.savingPercent).toBe(100);
    // A Google bill of a tenth of the baseline is a 90 % saving.
    const tenth = computeBill(counters({ schedulerJobs: 3 + Math.round(expected / 10 / 0.1) }));
    expect(tenth.savingPercent).toBeGreaterThan(89);
    expect(tenth.savingPercent).toBeLessThan(91);
  });
});
