/**
 * Client of the OFF PEAK CHARGE API, the external planner the original Worker used (SYSTEM.md):
 *   POST {url}  X-API-Key: KEY (or Authorization: Bearer KEY)
 *   body   {batteryLevel, batteryCapacity, consumption, dailyMileage,
 *           chargeLimits: {optimalUpper, optimalLower, emergency, chargingRate}}
 *   answer {success, data: {chargingSchedule: [{start_time, end_time, charge_amount, avg_price, cost, is_emergency}],
 *           calculatedLimits, summary: {totalEnergy, totalCost, averagePrice, scheduledSlots}}, meta, rateLimit}
 * At most 30 calls per key per UTC day: counted in an injected CallBudget BEFORE sending, so a crash after the
 * send cannot under-count. Overlapping slots: the first in answer order wins, as in the original. Slots that
 * already ended are dropped (the original once sent them and they fired the next day).
 */
import { z } from 'zod';
import { Temporal } from 'temporal-polyfill';
import { utcDay, type CallBudget } from './call-budget.js';
import { DEFAULT_TIME_ZONE } from './local-time.js';
import {
  OffPeakApiBadRequestError,
  OffPeakApiBudgetExhaustedError,
  OffPeakApiError,
  OffPeakApiInvalidResponseError,
  OffPeakApiMethodNotAllowedError,
  OffPeakApiNetworkError,
  OffPeakApiRateLimitedError,
  OffPeakApiServerError,
  OffPeakApiUnauthorizedError,
} from './offpeak-api-errors.js';
import type { FetchLike } from './types.js';

export const OFFPEAK_API_DAILY_LIMIT = 30;

export interface OffPeakRequest {
  /** State of charge, percent. */
  batteryLevel: number;
  /** kWh. */
  batteryCapacity: number;
  /** kWh per 100 km. */
  consumption: number;
  /** km per day. */
  dailyMileage: number;
  chargeLimits: {
    /** Fractions of capacity (0.8 = 80 %). */
    optimalUpper: number;
    optimalLower: number;
    emergency: number;
    /** kW. */
    chargingRate: number;
  };
}

/** What the original system sent besides the battery level. */
export const ORIGINAL_REQUEST_DEFAULTS: Omit<OffPeakRequest, 'batteryLevel'> = {
  batteryCapacity: 75,
  consumption: 18,
  dailyMileage: 50,
  chargeLimits: { optimalUpper: 0.8, optimalLower: 0.5, emergency: 0.2, chargingRate: 11 },
};

export interface OffPeakSlot {
  start: number;
  end: number;
  kwh: number;
  avgPrice: number;
  cost: number;
  isEmergency: boolean;
}

export interface OffPeakAnswer {
  /** In answer order, overlaps removed (first wins). */
  slots: OffPeakSlot[];
  /** How many slots were dropped because they overlapped an earlier one. */
  droppedOverlapping: number;
  summary: { totalEnergy: number; totalCost: number; averagePrice: number; scheduledSlots: number } | null;
  calculatedLimits: unknown;
  meta: unknown;
  rateLimit: unknown;
}

const slotSchema = z.object({
  start_time: z.string(),
  end_time: z.string(),
  charge_amount: z.number(),
  avg_price: z.number(),
  cost: z.number(),
  is_emergency: z.boolean().optional(),
});

const answerSchema = z.object({
  success: z.boolean(),
  data: z
    .object({
      chargingSchedule: z.array(slotSchema),
      calculatedLimits: z.unknown().optional(),
      summary: z
        .object({ totalEnergy: z.number(), totalCost: z.number(), averagePrice: z.number(), scheduledSlots: z.number() })
        .optional(),
    })
    .optional(),
  meta: z.unknown().optional(),
  rateLimit: z.unknown().optional(),
  error: z.unknown().optional(),
  message: z.unknown().optional(),
});

const HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/;

/** ISO time → epoch ms; a time without offset is read in the home time zone (the original was a Polish service). */
function parseTime(text: string, timeZone: string, where: string): number {
  try {
    if (HAS_OFFSET.test(text)) return Temporal.Instant.from(text).epochMilliseconds;
    return Temporal.PlainDateTime.from(text).toZonedDateTime(timeZone).epochMilliseconds;
  } catch {
    throw new OffPeakApiInvalidResponseError('invalid_response', `${where}: "${text}" is not an ISO 8601 time`, 200);
  }
}

/** Parses an answer body. Exported for tests and for callers that cache answers. */
export function parseOffPeakAnswer(body: unknown, timeZone = DEFAULT_TIME_ZONE): OffPeakAnswer {
  const parsed = answerSchema.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? first.path.join('.') || '(top level)' : '(top level)';
    throw new OffPeakApiInvalidResponseError('invalid_response', `unexpected answer shape at ${where}: ${first?.message ?? ''}`, 200);
  }
  const a = parsed.data;
  if (!a.success || !a.data) {
    const why = typeof a.error === 'string' ? a.error : typeof a.message === 'string' ? a.message : 'success is false';
    throw new OffPeakApiInvalidResponseError('rejected', `the service did not compute a plan: ${why}`, 200);
  }
  const kept: OffPeakSlot[] = [];
  let dropped = 0;
  a.data.chargingSchedule.forEach((s, i) => {
    const where = `data.chargingSchedule[${i}]`;
    const slot: OffPeakSlot = {
      start: parseTime(s.start_time, timeZone, `${where}.start_time`),
      end: parseTime(s.end_time, timeZone, `${where}.end_time`),
      kwh: s.charge_amount,
      avgPrice: s.avg_price,
      cost: s.cost,
      isEmergency: s.is_emergency ?? false,
    };
    if (!(slot.end > slot.start)) {
      throw new OffPeakApiInvalidResponseError('invalid_response', `${where} ends before it starts`, 200);
    }
    if (kept.some((k) => k.start < slot.end && slot.start < k.end)) dropped++;
    else kept.push(slot);
  });
  return {
    slots: kept,
    droppedOverlapping: dropped,
    summary: a.data.summary ?? null,
    calculatedLimits: a.data.calculatedLimits,
    meta: a.meta,
    rateLimit: a.rateLimit,
  };
}

/**
 * The answer's slots as charging windows from `now` on: ended slots dropped, a running one cut at `now` (its
 * energy and cost scaled to the part left), sorted by time. Feed them to the planner's schedule builder.
 */
export function offPeakWindows(answer: OffPeakAnswer, now: number): { start: number; end: number; kwh: number; cost: number }[] {
  return answer.slots
    .filter((s) => s.end > now)
    .map((s) => {
      const start = Math.max(s.start, now);
      const share = (s.end - start) / (s.end - s.start);
      return { start, end: s.end, kwh: s.kwh * share, cost: s.cost * share };
    })
    .sort((x, y) => x.start - y.start);
}

export interface OffPeakApiOptions {
  url: string;
  apiKey: string;
  fetch: FetchLike;
  /** The day counter for THIS key. */
  budget: CallBudget;
  now?: () => number;
  /** How the key is sent. The original used X-API-Key. */
  auth?: 'x-api-key' | 'bearer';
  dailyLimit?: number;
  timeoutMs?: number;
  /** For answer times without a UTC offset. */
  timeZone?: string;
}

async function errorDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const detail = body.error ?? body.message;
    if (typeof detail === 'string') return detail;
  } catch {
    /* not JSON: fall through to the raw text */
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 200) || '(no body)';
}

export class OffPeakChargeClient {
  constructor(private readonly options: OffPeakApiOptions) {}

  /** Calls left today for this key, by our count. */
  async remainingToday(): Promise<number> {
    const day = utcDay((this.options.now ?? Date.now)());
    return Math.max(0, (this.options.dailyLimit ?? OFFPEAK_API_DAILY_LIMIT) - (await this.options.budget.get(day)));
  }

  async calculate(request: OffPeakRequest): Promise<OffPeakAnswer> {
    const limit = this.options.dailyLimit ?? OFFPEAK_API_DAILY_LIMIT;
    const day = utcDay((this.options.now ?? Date.now)());
    const exhausted = () =>
      new OffPeakApiBudgetExhaustedError('budget_exhausted', `the ${limit} calls of ${day} (UTC) are used; the budget resets at midnight UTC`, 0);
    if ((await this.options.budget.get(day)) >= limit) throw exhausted();
    // Count first: a call that was sent but whose answer was lost still counts at the service.
    if ((await this.options.budget.increment(day)) > limit) throw exhausted();

    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.options.auth === 'bearer') headers.authorization = `Bearer ${this.options.apiKey}`;
    else headers['x-api-key'] = this.options.apiKey;
    let response: Response;
    try {
      response = await this.options.fetch(this.options.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 20_000),
      });
    } catch (err) {
      throw new OffPeakApiNetworkError('network', `no answer: ${(err as Error)?.message ?? String(err)}`, 0, { cause: err });
    }
    const status = response.status;
    if (status === 400) throw new OffPeakApiBadRequestError('bad_request', `request refused (400): ${await errorDetail(response)}`, 400);
    if (status === 401) throw new OffPeakApiUnauthorizedError('unauthorized', 'the API key was refused (401)', 401);
    if (status === 405) throw new OffPeakApiMethodNotAllowedError('method_not_allowed', 'method not allowed (405): check the URL; the API takes POST', 405);
    if (status === 429) {
      const header = response.headers.get('retry-after');
      const retry = header !== null && /^\d+$/.test(header.trim()) ? Number(header) : null;
      throw new OffPeakApiRateLimitedError(`rate limited (429): ${await errorDetail(response)}`, retry);
    }
    if (status >= 500) throw new OffPeakApiServerError('server_error', `server error (${status}): ${await errorDetail(response)}`, status);
    if (status < 200 || status >= 300) throw new OffPeakApiError('http_error', `unexpected HTTP ${status}: ${await errorDetail(response)}`, status);
    let body: unknown;
    try {
      body = JSON.parse(await response.text());
    } catch {
      throw new OffPeakApiInvalidResponseError('invalid_response', 'the answer is not JSON', status);
    }
    return parseOffPeakAnswer(body, this.options.timeZone ?? DEFAULT_TIME_ZONE);
  }
}
