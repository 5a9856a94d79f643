import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePseRce, PseRceTariff } from '../../src/tariff/pse.js';
import { TariffNoDataError, TariffParseError, TariffSourceError } from '../../src/tariff/errors.js';
import type { FetchLike } from '../../src/tariff/types.js';

const recorded = readFileSync(new URL('../fixtures/prices/pse-rce-pln-2026-10-25.json', import.meta.url), 'utf8');

/** A fetch that replays answers in order and records the URLs it was asked for. */
function replay(...answers: Array<{ status?: number; body: string } | Error>): FetchLike & { urls: string[] } {
  const urls: string[] = [];
  const f = (async (url: string) => {
    urls.push(url);
    const a = answers.shift();
    if (!a) throw new Error('unexpected request');
    if (a instanceof Error) throw a;
    return new Response(a.body, { status: a.status ?? 200, headers: { 'content-type': 'application/json' } });
  }) as FetchLike & { urls: string[] };
  f.urls = urls;
  return f;
}

const dayStart = Date.parse('2026-10-25T00:00:00+02:00');
const dayEnd = Date.parse('2026-10-26T00:00:00+01:00');

describe('PSE rce-pln parsing', () => {
  it('reads the autumn DST day as 100 contiguous quarter-hours from the UTC fields, in PLN/kWh', () => {
    const slots = parsePseRce(JSON.parse(recorded));
    expect(slots).toHaveLength(100);
    expect(slots[0]!.start).toBe(dayStart);
    expect(slots[99]!.end).toBe(dayEnd);
    expect(slots.every((s, i) => s.end - s.start === 900_000 && (i === 0 || s.start === slots[i - 1]!.end))).toBe(true);
    expect(slots[0]!.pricePerKwh).toBeCloseTo(0.40465, 10);
    expect(slots.filter((s) => s.pricePerKwh < 0)).toHaveLength(2);
  });

  it('says which row and field is wrong', () => {
    expect(() => parsePseRce({ items: [] })).toThrow(/expected a JSON object with a "value" array/);
    const row = { dtime_utc: '2026-10-24 22:15:00', period_utc: '22:00 - 22:15', rce_pln: 'n/a' };
    expect(() => parsePseRce({ value: [row] })).toThrow(TariffParseError);
    expect(() => parsePseRce({ value: [row] })).toThrow(/value\[0\]: "rce_pln" is not a number/);
    expect(() => parsePseRce({ value: [{ ...row, rce_pln: 1, dtime_utc: '25.10.2026' }] })).toThrow(/"dtime_utc" missing or not/);
    expect(() => parsePseRce({ value: [{ ...row, rce_pln: 1, period_utc: 'x' }] })).toThrow(/"period_utc" missing/);
  });
});

describe('PseRceTariff', () => {
  it('asks for the Polish business days of the range and clips the answer', async () => {
    const fetch = replay({ body: recorded });
    const t = new PseRceTariff({ fetch });
    const from = Date.parse('2026-10-25T01:30:00+02:00');
    const slots = await t.pricesBetween(from, from + 3 * 3_600_000);
    expect(decodeURIComponent(fetch.urls[0]!)).toBe("https://api.raporty.pse.pl/api/rce-pln?$filter=business_date eq '2026-10-25'");
    expect(slots[0]!.start).toBe(from);
    expect(slots.reduce((n, s) => n + (s.end - s.start), 0)).toBe(3 * 3_600_000);
    expect(t.urlFor(dayStart, dayEnd + 3_600_000)).toContain(encodeURIComponent("business_date ge '2026-10-25' and business_date le '2026-10-26'"));
  });

  it('follows nextLink pages', async () => {
    const rows = JSON.parse(recorded).value as unknown[];
    const fetch = replay(
      { body: JSON.stringify({ value: rows.slice(0, 40), nextLink: 'https://api.raporty.pse.pl/api/rce-pln?page=2' }) },
      { body: JSON.stringify({ value: rows.slice(40) }) },
    );
    const slots = await new PseRceTariff({ fetch }).pricesBetween(dayStart, dayEnd);
    expect(fetch.urls).toHaveLength(2);
    expect(fetch.urls[1]).toBe('https://api.raporty.pse.pl/api/rce-pln?page=2');
    expect(slots).toHaveLength(100);
  });

  it('turns failures into errors, never into prices', async () => {
    const t = (f: FetchLike) => new PseRceTariff({ fetch: f });
    await expect(t(replay({ status: 503, body: 'Service Unavailable' })).pricesBetween(dayStart, dayEnd)).rejects.toMatchObject({
      name: 'TariffSourceError',
      status: 503,
      transient: true,
    });
    await expect(t(replay(new TypeError('fetch failed'))).pricesBetween(dayStart, dayEnd)).rejects.toThrow(/request failed: fetch failed/);
    await expect(t(replay({ body: '<html>' })).pricesBetween(dayStart, dayEnd)).rejects.toThrow(/answer is not JSON/);
    await expect(t(replay({ body: '{"value":[]}' })).pricesBetween(dayStart, dayEnd)).rejects.toBeInstanceOf(TariffNoDataError);
    const loop = replay(...Array.from({ length: 3 }, () => ({ body: '{"value":[],"nextLink":"https://x/next"}' })));
    await expect(new PseRceTariff({ fetch: loop, maxPages: 2 }).pricesBetween(dayStart, dayEnd)).rejects.toBeInstanceOf(TariffSourceError);
  });
});
