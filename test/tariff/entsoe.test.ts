import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EntsoeDayAheadTariff, entsoeTime, parseEntsoeDocument } from '../../src/tariff/entsoe.js';
import { TariffConfigError, TariffNoDataError, TariffParseError } from '../../src/tariff/errors.js';
import type { FetchLike } from '../../src/tariff/types.js';

const read = (name: string) => readFileSync(new URL(`../fixtures/prices/${name}`, import.meta.url), 'utf8');
const recorded = read('entsoe-a44-pl-2026-03-29.xml');
const expected = JSON.parse(read('entsoe-a44-pl-2026-03-29.expected.json')) as { quarterHourEurPerMwh: number[] };
const dayStart = Date.parse('2026-03-29T00:00:00+01:00');
const dayEnd = Date.parse('2026-03-30T00:00:00+02:00');

function answer(status: number, body: string): FetchLike & { urls: string[] } {
  const urls: string[] = [];
  const f = (async (url: string) => {
    urls.push(url);
    return new Response(body, { status });
  }) as FetchLike & { urls: string[] };
  f.urls = urls;
  return f;
}

describe('ENTSO-E A44 parsing', () => {
  it('reads the spring DST day: 92 quarter-hours, A03 gaps filled forward, the finer series wins', () => {
    const doc = parseEntsoeDocument(recorded);
    if (doc.kind !== 'prices') throw new Error('expected prices');
    expect(doc.currency).toBe('EUR');
    expect(doc.slots).toHaveLength(92);
    expect(doc.slots[0]!.start).toBe(dayStart);
    expect(doc.slots[91]!.end).toBe(dayEnd);
    expect(doc.slots.map((s) => Math.round(s.pricePerKwh * 1e8) / 1e5)).toEqual(expected.quarterHourEurPerMwh);
    expect(doc.slots.filter((s) => s.pricePerKwh < 0)).toHaveLength(7);
  });

  it('reads an hourly-only A01 document', () => {
    const hourlyOnly = recorded.replace(/<TimeSeries>[\s\S]*?<\/TimeSeries>/, '');
    const doc = parseEntsoeDocument(hourlyOnly);
    if (doc.kind !== 'prices') throw new Error('expected prices');
    expect(doc.slots).toHaveLength(23);
    expect(doc.slots.every((s) => s.end - s.start === 3_600_000)).toBe(true);
  });

  it('recognises an acknowledgement and says what is malformed', () => {
    expect(parseEntsoeDocument(read('entsoe-ack-no-data.xml'))).toMatchObject({ kind: 'acknowledgement', code: '999' });
    expect(() => parseEntsoeDocument('<Publication_MarketDocument><TimeSeries>')).toThrow(/not well-formed XML/);
    expect(() => parseEntsoeDocument(recorded.replace('<resolution>PT15M</resolution>', '<resolution>P1D</resolution>'))).toThrow(/unsupported resolution "P1D"/);
    expect(() => parseEntsoeDocument(recorded.replaceAll('MWH', 'KWH'))).toThrow(TariffParseError);
    expect(() => parseEntsoeDocument(recorded.replace('<position>1</position>', '<position>400</position>'))).toThrow(/position 400 outside 1..92/);
  });
});

describe('EntsoeDayAheadTariff', () => {
  it('asks for A44 with the zone and UTC period, and clips the answer', async () => {
    const fetch = answer(200, recorded);
    const t = new EntsoeDayAheadTariff({ fetch, apiKey: 'k3y', zone: 'PL' });
    const from = Date.parse('2026-03-29T01:20:00+01:00');
    const slots = await t.pricesBetween(from, from + 2 * 3_600_000);
    const url = new URL(fetch.urls[0]!);
    expect(url.origin + url.pathname).toBe('https://web-api.tp.entsoe.eu/api');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      documentType: 'A44',
      in_Domain: '10YPL-AREA-----S',
      out_Domain: '10YPL-AREA-----S',
      periodStart: '202603290000',
      periodEnd: '202603290300',
      securityToken: 'k3y',
    });
    expect(slots[0]!.start).toBe(from);
    expect(slots.reduce((n, s) => n + s.end - s.start, 0)).toBe(2 * 3_600_000);
    expect(entsoeTime(Date.parse('2026-10-24T22:00:00Z'))).toBe('202610242200');
  });

  it('maps refusals to errors without leaking the key', async () => {
    const t = (status: number, body: string) => new EntsoeDayAheadTariff({ fetch: answer(status, body), apiKey: 'SECRET', zone: 'PL' }).pricesBetween(dayStart, dayEnd);
    await expect(t(200, read('entsoe-ack-no-data.xml'))).rejects.toBeInstanceOf(TariffNoDataError);
    await expect(t(400, read('entsoe-ack-no-data.xml'))).rejects.toThrow(/reason 999: No matching data found/);
    await expect(t(401, '<html>Unauthorized</html>')).rejects.toMatchObject({ status: 401, message: expect.stringMatching(/API key was refused/) });
    await expect(t(429, '')).rejects.toMatchObject({ status: 429, transient: true });
    await expect(t(500, 'oops')).rejects.toMatchObject({ status: 500 });
    for (const status of [401, 429, 500]) await expect(t(status, 'x')).rejects.not.toThrow(/SECRET/);
  });

  it('needs a key and a known zone', () => {
    const fetch = answer(200, '');
    expect(() => new EntsoeDayAheadTariff({ fetch, apiKey: '', zone: 'PL' })).toThrow(TariffConfigError);
    expect(() => new EntsoeDayAheadTariff({ fetch, apiKey: 'k', zone: 'Atlantis' })).toThrow(/not a known bidding zone/);
    expect(new EntsoeDayAheadTariff({ fetch, apiKey: 'k', zone: '10YBE----------2' }).name).toBe('entsoe:10YBE----------2');
  });
});
