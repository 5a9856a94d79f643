import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryCallBudget, utcDay, type CallBudget } from '../../src/tariff/call-budget.js';
import {
  OffPeakChargeClient,
  offPeakWindows,
  parseOffPeakAnswer,
  ORIGINAL_REQUEST_DEFAULTS,
  type OffPeakRequest,
} from '../../src/tariff/offpeak-api.js';
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
} from '../../src/tariff/offpeak-api-errors.js';
import type { FetchLike } from '../../src/tariff/types.js';

const recorded = readFileSync(new URL('../fixtures/prices/offpeak-api-answer.json', import.meta.url), 'utf8');
const URL_ = 'https://offpeak.example/api/external-calculate';
const request: OffPeakRequest = { batteryLevel: 42, ...ORIGINAL_REQUEST_DEFAULTS };

interface Seen {
  url: string;
  init: RequestInit;
}
function server(status: number, body: string, headers: Record<string, string> = {}): FetchLike & { seen: Seen[] } {
  const seen: Seen[] = [];
  const f = (async (url: string, init: RequestInit = {}) => {
    seen.push({ url, init });
    return new Response(body, { status, headers });
  }) as FetchLike & { seen: Seen[] };
  f.seen = seen;
  return f;
}

const client = (fetch: FetchLike, extra: Partial<ConstructorParameters<typeof OffPeakChargeClient>[0]> = {}) =>
  new OffPeakChargeClient({ url: URL_, apiKey: 'KEY-123', fetch, budget: new MemoryCallBudget(), now: () => Date.parse('2026-03-28T18:55:00+01:00'), ...extra });

describe('OFF PEAK CHARGE API client', () => {
  it('POSTs the documented body with X-API-Key and parses the answer', async () => {
    const fetch = server(200, recorded);
    const answer = await client(fetch).calculate(request);
    const { url, init } = fetch.seen[0]!;
    expect(url).toBe(URL_);
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>)['x-api-key']).toBe('KEY-123');
    expect(JSON.parse(init.body as string)).toEqual({
      batteryLevel: 42,
      batteryCapacity: 75,
      consumption: 18,
      dailyMileage: 50,
      chargeLimits: { optimalUpper: 0.8, optimalLower: 0.5, emergency: 0.2, chargingRate: 11 },
    });
    expect(answer.summary).toEqual({ totalEnergy: 49.5, totalCost: 23.38, averagePrice: 0.472, scheduledSlots: 4 });
    expect(answer.rateLimit).toMatchObject({ remaining: 27 });
  });

  it('can send the key as a bearer token instead', async () => {
    const fetch = server(200, recorded);
    await client(fetch, { auth: 'bearer' }).calculate(request);
    const headers = fetch.seen[0]!.init.headers as Record<string, string>;
    expect(headers.authorization).toBe('Bearer KEY-123');
    expect(headers['x-api-key']).toBeUndefined();
  });

  it('keeps the first of overlapping slots, in answer order', () => {
    const a = parseOffPeakAnswer(JSON.parse(recorded));
    expect(a.droppedOverlapping).toBe(1);
    expect(a.slots.map((s) => new Date(s.start).toISOString())).toEqual([
      '2026-03-28T22:00:00.000Z',
      '2026-03-28T18:00:00.000Z',
      '2026-03-29T02:00:00.000Z',
    ]);
    expect(a.slots[1]!.isEmergency).toBe(true);
  });

  it('drops ended slots and cuts a running one at now', () => {
    const a = parseOffPeakAnswer(JSON.parse(recorded));
    const now = Date.parse('2026-03-29T00:00:00+01:00');
    const w = offPeakWindows(a, now);
    expect(w.map((x) => [new Date(x.start).toISOString(), new Date(x.end).toISOString()])).toEqual([
      ['2026-03-28T23:00:00.000Z', '2026-03-29T00:00:00.000Z'],
      ['2026-03-29T02:00:00.000Z', '2026-03-29T03:00:00.000Z'],
    ]);
    expect(w[0]!.kwh).toBeCloseTo(11, 10);
  });

  it('reads times without offset in the home time zone', () => {
    const body = { success: true, data: { chargingSchedule: [{ start_time: '2026-07-01T22:00:00', end_time: '2026-07-01T23:00:00', charge_amount: 11, avg_price: 0.5, cost: 5.5 }] } };
    expect(parseOffPeakAnswer(body).slots[0]!.start).toBe(Date.parse('2026-07-01T22:00:00+02:00'));
  });

  it.each([
    [400, '{"error":"batteryLevel must be 0-100"}', OffPeakApiBadRequestError, /batteryLevel must be 0-100/],
    [401, '{"error":"invalid key"}', OffPeakApiUnauthorizedError, /API key was refused/],
    [405, '', OffPeakApiMethodNotAllowedError, /POST/],
    [429, '{"message":"daily limit"}', OffPeakApiRateLimitedError, /daily limit/],
    [500, 'boom', OffPeakApiServerError, /server error \(500\): boom/],
    [502, '', OffPeakApiServerError, /502/],
    [418, '', OffPeakApiError, /unexpected HTTP 418/],
    [200, 'not json', OffPeakApiInvalidResponseError, /not JSON/],
    [200, '{"success":false,"error":"no prices for tomorrow"}', OffPeakApiInvalidResponseError, /no prices for tomorrow/],
    [200, '{"success":true,"data":{"chargingSchedule":[{"start_time":"x"}]}}', OffPeakApiInvalidResponseError, /unexpected answer shape at data.chargingSchedule.0/],
  ])('HTTP %i → a typed error, never a plan', async (status, body, type, message) => {
    const p = client(server(status, body, { 'retry-after': '120' })).calculate(request);
    await expect(p).rejects.toBeInstanceOf(type);
    await expect(client(server(status, body)).calculate(request)).rejects.toThrow(message);
  });

  it('reports Retry-After on 429 and never puts the key in a message', async () => {
    const e = await client(server(429, '', { 'retry-after': '120' })).calculate(request).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OffPeakApiRateLimitedError);
    expect((e as OffPeakApiRateLimitedError).retryAfterSeconds).toBe(120);
    for (const status of [400, 401, 405, 429, 500]) {
      const err = (await client(server(status, '{"error":"x"}')).calculate(request).catch((x: unknown) => x)) as Error;
      expect(err.message).not.toContain('KEY-123');
    }
  });

  it('turns a network failure into a transient error', async () => {
    const failing: FetchLike = async () => {
      throw new TypeError('fetch failed');
    };
    const e = await client(failing).calculate(request).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OffPeakApiNetworkError);
    expect((e as OffPeakApiError).transient).toBe(true);
  });
});

describe('daily call budget (30 per key, reset at midnight UTC)', () => {
  it('sends at most 30 calls per UTC day, then refuses without sending', async () => {
    let now = Date.parse('2026-03-28T00:00:00Z');
    const fetch = server(200, recorded);
    const c = client(fetch, { now: () => now });
    for (let i = 0; i < 30; i++) await c.calculate(request);
    now = Date.parse('2026-03-28T23:59:59Z');
    await expect(c.calculate(request)).rejects.toBeInstanceOf(OffPeakApiBudgetExhaustedError);
    expect(fetch.seen).toHaveLength(30);
    expect(await c.remainingToday()).toBe(0);
    now = Date.parse('2026-03-29T00:00:00Z'); // a new UTC day (01:00 in Warsaw)
    await c.calculate(request);
    expect(fetch.seen).toHaveLength(31);
    expect(await c.remainingToday()).toBe(29);
  });

  it('counts a call before sending it, so failed calls count too', async () => {
    const budget = new MemoryCallBudget();
    const c = client(server(500, ''), { budget });
    await c.calculate(request).catch(() => undefined);
    expect(budget.get(utcDay(Date.parse('2026-03-28T18:55:00+01:00')))).toBe(1);
  });

  it('respects a persisted counter shared with another process (increment is authoritative)', async () => {
    // Another process took the last call between our read and our increment.
    let count = 29;
    const racing: CallBudget = { get: async () => 29, increment: async () => (count += 2) };
    const fetch = server(200, recorded);
    await expect(client(fetch, { budget: racing }).calculate(request)).rejects.toBeInstanceOf(OffPeakApiBudgetExhaustedError);
    expect(fetch.seen).toHaveLength(0);
  });

  it('keys days by UTC, not by local time', () => {
    expect(utcDay(Date.parse('2026-03-29T00:30:00+01:00'))).toBe('2026-03-28');
  });
});
