/**
 * The common tariff model: whatever the source (fixed time-of-use zones, a price file, a market API), a tariff
 * answers one question: what does a kWh cost in each slot of a time range. Times are epoch milliseconds, so the
 * planner never deals with time zones; only the sources that speak local time (time-of-use zones) do.
 */

/** A half-open interval [start, end) with one price per kWh. */
export interface PriceSlot {
  readonly start: number;
  readonly end: number;
  /** Price per kWh in the tariff's currency. Negative prices are real (day-ahead markets) and allowed. */
  readonly pricePerKwh: number;
}

export interface Tariff {
  readonly name: string;
  /** ISO 4217 code as far as the source says (PLN, EUR, GBP). */
  readonly currency: string;
  /**
   * Slots overlapping [startMs, endMs), clipped to it, sorted, not overlapping; hourly or finer for the built-in
   * sources (a price file keeps its own resolution).
   * Time not covered by any slot has no known price (e.g. tomorrow before the day-ahead auction): planners
   * must not charge there. Sources that fail throw (see errors.ts); they never invent prices.
   */
  pricesBetween(startMs: number, endMs: number): Promise<PriceSlot[]>;
}

/** The `fetch` a network source uses, injected so tests replay recorded answers and nothing else goes out. */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;
