/**
 * Tesla Fleet API pricing (pay per use since February 2025; TESLA.md "Pricing"). Shared by the client's own
 * counters and the simulator's meter so both report the same figures.
 */
export type BillingCategory = 'data' | 'command' | 'wake' | 'free';

export const PRICE_USD: Record<BillingCategory, number> = {
  data: 1 / 500,
  command: 1 / 1000,
  wake: 1 / 50,
  free: 0,
};

/** Tesla's monthly credit per account. */
export const MONTHLY_CREDIT_USD = 10;

export interface BillingCounters {
  data: number;
  command: number;
  wake: number;
  free: number;
}

export const emptyCounters = (): BillingCounters => ({ data: 0, command: 0, wake: 0, free: 0 });

export function costUsd(counters: BillingCounters): number {
  const total =
    counters.data * PRICE_USD.data + counters.command * PRICE_USD.command + counters.wake * PRICE_USD.wake;
  return Math.round(total * 1e6) / 1e6;
}
