import { MONTHLY_CREDIT_USD, PRICE_USD } from '../tesla/billing.js';

/**
 * Published prices and free tiers used by `offpeak cost` (USD). Each figure names its source and whether it
 * was verified against that source when it was written down (2026-12-03); docs/cost.md has the table.
 * Regions: Google's "Tier 1" pricing regions (e.g. us-central1, europe-west1); others cost more.
 */
export interface PriceFigure {
  usd: number;
  source: string;
  verified: boolean;
}

const RUN = 'https://cloud.google.com/run/pricing';
const SCHEDULER = 'https://cloud.google.com/scheduler/pricing';
const FIRESTORE = 'https://cloud.google.com/firestore/pricing';
const SECRETS = 'https://cloud.google.com/secret-manager/pricing';
const TESLA = 'https://developer.tesla.com/docs/fleet-api/billing-and-limits (via TESLA.md, src/tesla/billing.ts)';

const p = (usd: number, source: string, verified = true): PriceFigure => ({ usd, source, verified });

export const PRICES = {
  /** Cloud Run, request-based billing ("CPU only allocated during request processing"); also Cloud Run functions (2nd gen). */
  runVcpuSecond: p(0.000024, RUN),
  runGibSecond: p(0.0000025, RUN),
  runPerMillionRequests: p(0.4, RUN),
  runFreeVcpuSeconds: p(180_000, RUN),
  runFreeGibSeconds: p(360_000, RUN),
  runFreeRequests: p(2_000_000, RUN),
  /** Cloud Run, instance-based billing ("CPU always allocated"): the always-on baseline. */
  runAlwaysOnVcpuSecond: p(0.000018, RUN),
  runAlwaysOnGibSecond: p(0.000002, RUN),
  // The page's free-tier cell for this row was cut off in the copy found ("Free: First 24…"): not verified.
  runAlwaysOnFreeVcpuSeconds: p(240_000, RUN, false),
  runAlwaysOnFreeGibSeconds: p(450_000, RUN, false),
  schedulerJobMonth: p(0.1, SCHEDULER),
  schedulerFreeJobs: p(3, SCHEDULER),
  firestoreFreeReadsPerDay: p(50_000, FIRESTORE),
  firestoreFreeWritesPerDay: p(20_000, FIRESTORE),
  firestoreFreeDeletesPerDay: p(20_000, FIRESTORE),
  // Per-location table did not render in any copy found; US regional figures from a third-party summary.
  firestorePer100kReads: p(0.03, FIRESTORE, false),
  firestorePer100kWrites: p(0.09, FIRESTORE, false),
  firestorePer100kDeletes: p(0.01, FIRESTORE, false),
  secretVersionMonth: p(0.06, SECRETS),
  secretPer10kAccesses: p(0.03, SECRETS),
  secretFreeVersions: p(6, SECRETS),
  secretFreeAccesses: p(10_000, SECRETS),
  teslaData: p(PRICE_USD.data, TESLA),
  teslaCommand: p(PRICE_USD.command, TESLA),
  teslaWake: p(PRICE_USD.wake, TESLA),
  teslaMonthlyCredit: p(MONTHLY_CREDIT_USD, TESLA),
} as const;

export type Prices = { [K in keyof typeof PRICES]: number };

export const priceValues = (): Prices =>
  Object.fromEntries(Object.entries(PRICES).map(([k, v]) => [k, v.usd])) as Prices;
