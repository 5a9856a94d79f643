import type { FirestoreOps } from './metered-firestore.js';
import { priceValues, type Prices } from './prices.js';
import type { BillingCounters } from '../tesla/billing.js';

/**
 * The monthly bill from a month's counters. Pure arithmetic: counters in, lines out, so the free-tier
 * boundaries are tested on fixed numbers (test/cost/bill.test.ts).
 */

/** What the counters cannot tell: how long each call keeps an instance billed, and how often one starts. */
export interface Assumptions {
  /** Worker on Cloud Run: deploy.sh leaves Cloud Run's default of 1 vCPU, 512 MiB. */
  workerVcpu: number;
  workerMemoryGib: number;
  /** Billed instance time per Worker request, cold start included (Cloud Run rounds up to 100 ms). */
  workerBilledSecPerRequest: number;
  /** Scout as a Cloud Run function (2nd gen), 256 MiB (deploy.sh), which comes with 0.167 vCPU. */
  scoutVcpu: number;
  scoutMemoryGib: number;
  scoutBilledSecPerInvocation: number;
  /** Fraction of calls that start a new instance (each start reads its secrets once). 1 = every call. */
  coldStartFraction: number;
  /** Secrets read at start: Worker the Tesla client secret and the encryption key, Scout the key. */
  workerSecretsPerStart: number;
  scoutSecretsPerStart: number;
  secretVersions: number;
  /** Tesla accounts (each has its own monthly credit). */
  teslaAccounts: number;
  /** The always-on single service the original ran: Cloud Run, min-instances=1, CPU always allocated. */
  baselineVcpu: number;
  baselineMemoryGib: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  workerVcpu: 1,
  workerMemoryGib: 0.5,
  workerBilledSecPerRequest: 2,
  scoutVcpu: 0.167,
  scoutMemoryGib: 0.25,
  scoutBilledSecPerInvocation: 3,
  coldStartFraction: 1,
  workerSecretsPerStart: 2,
  scoutSecretsPerStart: 1,
  secretVersions: 2,
  teslaAccounts: 1,
  baselineVcpu: 1,
  baselineMemoryGib: 0.5,
};

/** The counters a month produced (src/cost/simulate.ts makes them from a simulated month). */
export interface MonthCounters {
  days: number;
  scoutInvocations: number;
  workerRequests: number;
  schedulerJobs: number;
  firestoreByDay: FirestoreOps[];
  tesla: BillingCounters;
}

export interface BillLine {
  service: string;
  item: string;
  usage: number;
  free: number;
  billable: number;
  usd: number;
}

export interface Bill {
  lines: BillLine[];
  googleUsd: number;
  teslaUsd: number;
  teslaBeforeCreditUsd: number;
  totalUsd: number;
  baseline: { usd: number; description: string };
  /** 1 - google / baseline, in percent (Google Cloud only; Tesla calls are the same in both designs). */
  savingPercent: number;
  insideFreeTiers: boolean;
}

const round = (usd: number) => Math.round(usd * 1e4) / 1e4;

export function computeBill(counters: MonthCounters, assumptions: Assumptions = DEFAULT_ASSUMPTIONS, prices: Prices = priceValues()): Bill {
  const a = assumptions;
  const lines: BillLine[] = [];
  const line = (service: string, item: string, usage: number, free: number, unitUsd: number) => {
    const billable = Math.max(0, usage - free);
    lines.push({ service, item, usage, free, billable, usd: round(billable * unitUsd) });
  };

  // Cloud Run: the Scout (a Cloud Run function) and the Worker share one free tier per billing account.
  const requests = counters.scoutInvocations + counters.workerRequests;
  const vcpuSec =
    counters.scoutInvocations * a.scoutBilledSecPerInvocation * a.scoutVcpu + counters.workerRequests * a.workerBilledSecPerRequest * a.workerVcpu;
  const gibSec =
    counters.scoutInvocations * a.scoutBilledSecPerInvocation * a.scoutMemoryGib +
    counters.workerRequests * a.workerBilledSecPerRequest * a.workerMemoryGib;
  line('Cloud Run (Scout function + Worker)', 'requests', requests, prices.runFreeRequests, prices.runPerMillionRequests / 1e6);
  line('Cloud Run (Scout function + Worker)', 'vCPU-seconds', round(vcpuSec), prices.runFreeVcpuSeconds, prices.runVcpuSecond);
  line('Cloud Run (Scout function + Worker)', 'GiB-seconds', round(gibSec), prices.runFreeGibSeconds, prices.runGibSecond);

  line('Cloud Scheduler', 'jobs', counters.schedulerJobs, prices.schedulerFreeJobs, prices.schedulerJobMonth);

  // Firestore's free tier is daily: each day's excess is billed, a quiet day does not offset a busy one.
  const firestore = (item: 'reads' | 'writes' | 'deletes', freePerDay: number, per100k: number) => {
    const usage = counters.firestoreByDay.reduce((sum, d) => sum + d[item], 0);
    const billable = counters.firestoreByDay.reduce((sum, d) => sum + Math.max(0, d[item] - freePerDay), 0);
    lines.push({
      service: 'Firestore',
      item: `document ${item}`,
      usage,
      free: freePerDay * counters.days,
      billable,
      usd: round((billable * per100k) / 100_000),
    });
  };
  firestore('reads', prices.firestoreFreeReadsPerDay, prices.firestorePer100kReads);
  firestore('writes', prices.firestoreFreeWritesPerDay, prices.firestorePer100kWrites);
  firestore('deletes', prices.firestoreFreeDeletesPerDay, prices.firestorePer100kDeletes);

  const accesses = Math.ceil(
    (counters.scoutInvocations * a.scoutSecretsPerStart + counters.workerRequests * a.workerSecretsPerStart) * a.coldStartFraction,
  );
  line('Secret Manager', 'active secret versions', a.secretVersions, prices.secretFreeVersions, prices.secretVersionMonth);
  line('Secret Manager', 'access operations', accesses, prices.secretFreeAccesses, prices.secretPer10kAccesses / 10_000);

  const googleUsd = round(lines.reduce((sum, l) => sum + l.usd, 0));

  const t = counters.tesla;
  const teslaBeforeCreditUsd = round(t.data * prices.teslaData + t.command * prices.teslaCommand + t.wake * prices.teslaWake);
  const credit = prices.teslaMonthlyCredit * a.teslaAccounts;
  const teslaUsd = round(Math.max(0, teslaBeforeCreditUsd - credit));
  lines.push({ service: 'Tesla Fleet API', item: 'data requests', usage: t.data, free: 0, billable: t.data, usd: round(t.data * prices.teslaData) });
  lines.push({ service: 'Tesla Fleet API', item: 'commands', usage: t.command, free: 0, billable: t.command, usd: round(t.command * prices.teslaCommand) });
  lines.push({ service: 'Tesla Fleet API', item: 'wakes', usage: t.wake, free: 0, billable: t.wake, usd: round(t.wake * prices.teslaWake) });
  lines.push({ service: 'Tesla Fleet API', item: 'monthly credit', usage: 0, free: 0, billable: 0, usd: -round(Math.min(credit, teslaBeforeCreditUsd)) });

  const seconds = counters.days * 86_400;
  const baselineVcpu = Math.max(0, seconds * a.baselineVcpu - prices.runAlwaysOnFreeVcpuSeconds) * prices.runAlwaysOnVcpuSecond;
  const baselineMem = Math.max(0, seconds * a.baselineMemoryGib - prices.runAlwaysOnFreeGibSeconds) * prices.runAlwaysOnGibSecond;
  const baselineUsd = round(baselineVcpu + baselineMem);
  const savingPercent = baselineUsd > 0 ? Math.round((1 - googleUsd / baselineUsd) * 1000) / 10 : 0;

  return {
    lines,
    googleUsd,
    teslaUsd,
    teslaBeforeCreditUsd,
    totalUsd: round(googleUsd + teslaUsd),
    baseline: {
      usd: baselineUsd,
      description: `Cloud Run, min-instances=1, CPU always allocated, ${a.baselineVcpu} vCPU / ${a.baselineMemoryGib} GiB, ${counters.days} days, its free tier applied`,
    },
    savingPercent,
    insideFreeTiers: googleUsd === 0 && teslaUsd === 0,
  };
}

const money = (usd: number) => (usd < 0 ? `-$${(-usd).toFixed(2)}` : `$${usd.toFixed(2)}`);
const num = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 1 }));

export function formatBill(bill: Bill, title: string): string {
  const rows = bill.lines.map((l) => [l.service, l.item, num(l.usage), l.free === 0 ? '-' : num(l.free), num(l.billable), money(l.usd)]);
  const head = ['service', 'item', 'usage/month', 'free/month', 'billable', 'USD'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [
    title,
    fmt(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(fmt),
    '',
    `Google Cloud: ${money(bill.googleUsd)}   Tesla: ${money(bill.teslaUsd)} (${money(bill.teslaBeforeCreditUsd)} before the credit)   total: ${money(bill.totalUsd)}`,
    `always-on baseline: ${money(bill.baseline.usd)} (${bill.baseline.description})`,
    `saving on Google Cloud against it: ${bill.savingPercent}%   inside the free tiers: ${bill.insideFreeTiers ? 'yes' : 'no'}`,
  ].join('\n');
}
