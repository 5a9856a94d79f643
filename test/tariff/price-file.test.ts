import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePriceCsv, parsePriceJson } from '../../src/tariff/price-file.js';
import { SlotTariff } from '../../src/tariff/slot-tariff.js';
import { TariffParseError } from '../../src/tariff/errors.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/prices/${name}`, import.meta.url), 'utf8');
const H = 3_600_000;

describe('price CSV', () => {
  it('reads the real Belgian excerpt across the autumn DST change, negative prices included', () => {
    const { slots, currency } = parsePriceCsv(fixture('be-day-ahead-2023-10-16_2023-11-05.csv'), 'be.csv');
    expect(currency).toBe('EUR');
    expect(slots).toHaveLength(505); // 21 days × 24 h + the repeated hour
    for (const s of slots) expect(s.end - s.start).toBe(H);
    const night = slots.filter((s) => s.start >= Date.parse('2023-10-29T00:00:00+02:00') && s.start < Date.parse('2023-10-30T00:00:00+01:00'));
    expect(night).toHaveLength(25);
    expect(slots.filter((s) => s.pricePerKwh < 0)).toHaveLength(15);
    expect(slots.find((s) => s.start === Date.parse('2023-10-29T02:00:00+01:00'))?.pricePerKwh).toBe(-0.00084);
  });

  it('has no slot for the hour skipped in spring', () => {
    const { slots } = parsePriceCsv(fixture('be-day-ahead-2023-03-20_2023-04-02.csv'));
    const day = slots.filter((s) => s.start >= Date.parse('2023-03-26T00:00:00+01:00') && s.start < Date.parse('2023-03-27T00:00:00+02:00'));
    expect(day).toHaveLength(23);
    expect(day.every((s, i) => i === 0 || s.start === day[i - 1]!.end)).toBe(true);
  });

  it('keeps a gap in the data as a gap, and converts per-MWh columns', () => {
    const csv = 'start,pln_per_mwh\n2026-01-01T00:00:00Z,400\n2026-01-01T01:00:00Z,300\n2026-01-01T05:00:00Z,-10\n';
    const { slots, currency } = parsePriceCsv(csv);
    expect(currency).toBe('PLN');
    expect(slots.map((s) => [s.end - s.start, s.pricePerKwh])).toEqual([[H, 0.4], [H, 0.3], [H, -0.01]]);
  });

  it('accepts an end column and a plain price column, skips comments', () => {
    const csv = '# my prices\nstart,end,price\n2026-01-01T00:00Z,2026-01-01T00:15Z,0.5\n\n2026-01-01T00:15Z,2026-01-01T00:30Z,0.25\n';
    const { slots, currency } = parsePriceCsv(csv);
    expect(currency).toBeNull();
    expect(slots.map((s) => s.end - s.start)).toEqual([900_000, 900_000]);
  });

  it.each([
    ['', /empty file/],
    ['when,price\n2026-01-01T00:00Z,1', /no "start" column/],
    ['start,cost\n2026-01-01T00:00Z,1', /no price column/],
    ['start,price\n2026-01-01T00:00,1', /prices.csv:2: start "2026-01-01T00:00" is not an ISO 8601 time with a UTC offset/],
    ['start,price\n2026-01-01T00:00Z,1,2', /prices.csv:2: expected 2 comma-separated values, found 3/],
    ['start,price\n2026-01-01T00:00Z,0,5', /expected 2/],
    ['start,price\n2026-01-01T00:00Z,abc', /prices.csv:2: price "abc" is not a number/],
    ['start,price\n2026-01-01T01:00Z,1\n2026-01-01T00:00Z,1', /prices.csv:3: start is not after the previous row/],
    ['start,price\n', /no price rows/],
  ])('says where and what is wrong: %j', (csv, message) => {
    expect(() => parsePriceCsv(csv, 'prices.csv')).toThrow(TariffParseError);
    expect(() => parsePriceCsv(csv, 'prices.csv')).toThrow(message);
  });
});

describe('price JSON', () => {
  it('reads a list or an object with prices and currency', () => {
    const a = parsePriceJson('[{"start":"2026-01-01T00:00:00Z","price":0.2},{"start":"2026-01-01T01:00:00Z","pricePerKwh":0.1}]');
    expect(a.slots.map((s) => s.pricePerKwh)).toEqual([0.2, 0.1]);
    const b = parsePriceJson('{"currency":"EUR","prices":[{"start":"2026-01-01T00:00:00+01:00","end":"2026-01-01T00:30:00+01:00","price_per_kwh":-0.01}]}');
    expect(b.currency).toBe('EUR');
    expect(b.slots[0]!.end - b.slots[0]!.start).toBe(1_800_000);
  });
  it('says where and what is wrong', () => {
    expect(() => parsePriceJson('{', 'p.json')).toThrow(/p.json: not valid JSON/);
    expect(() => parsePriceJson('{"prices":[{"start":"2026-01-01T00:00Z"}]}', 'p.json')).toThrow(/p.json: prices\[0\]: "price" must be a number/);
    expect(() => parsePriceJson('{"x":1}', 'p.json')).toThrow(/expected an array/);
  });
});

describe('SlotTariff', () => {
  it('clips to the requested range and refuses overlapping slots', async () => {
    const t = new SlotTariff('t', 'EUR', parsePriceCsv(fixture('be-day-ahead-2023-10-16_2023-11-05.csv')).slots);
    const from = Date.parse('2023-10-20T10:30:00+02:00');
    const got = await t.pricesBetween(from, from + 2 * H);
    expect(got.map((s) => [s.start - from, s.end - from])).toEqual([[0, H / 2], [H / 2, 1.5 * H], [1.5 * H, 2 * H]]);
    expect(() => new SlotTariff('o', 'EUR', [{ start: 0, end: 2, pricePerKwh: 1 }, { start: 1, end: 3, pricePerKwh: 1 }])).toThrow(/overlap/);
  });
});
