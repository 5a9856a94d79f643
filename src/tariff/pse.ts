/**
 * Polish market price RCE (rynkowa cena energii) from PSE's public reports API v2, report `rce-pln`
 * (https://api.raporty.pse.pl, no key). Rows look like
 *   {"dtime":"2024-06-15 00:45:00","period":"00:30 - 00:45","rce_pln":548.73,"dtime_utc":"2024-06-14 22:45:00",
 *    "period_utc":"22:30 - 22:45","business_date":"2024-06-15","publication_ts":"…","publication_ts_utc":"…"}
 * inside {"value":[…], "nextLink": "…"?}. Facts that are easy to get wrong, and what we do:
 *   - `dtime`/`dtime_utc` are the END of the interval; we use `dtime_utc` and the length from `period_utc`, never
 *     the local `dtime` (it reads "02a:15" in the repeated autumn hour);
 *   - rows are quarter-hours (before October 2025 the hourly price was repeated in four quarters);
 *   - `rce_pln` is PLN/MWh; we give PLN/kWh. RCE is a wholesale price, not a household's bill: it orders hours
 *     correctly for planning, the reported cost is the energy's market value;
 *   - pages are linked with `nextLink`; we follow a bounded number of them.
 */
import { Temporal } from 'temporal-polyfill';
import { TariffNoDataError, TariffParseError, TariffSourceError } from './errors.js';
import { excerpt, fetchText, DEFAULT_TIMEOUT_MS } from './http.js';
import { checkSlots, clipSlots } from './slot-tariff.js';
import { zoned } from './local-time.js';
import type { FetchLike, PriceSlot, Tariff } from './types.js';

export const PSE_DEFAULT_BASE_URL = 'https://api.raporty.pse.pl/api';
const SOURCE = 'PSE rce-pln';

export interface PseRceOptions {
  fetch: FetchLike;
  baseUrl?: string;
  timeoutMs?: number;
  /** Upper bound on followed `nextLink` pages, so a misbehaving server cannot keep us looping. */
  maxPages?: number;
}

const UTC_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:\d{2}(\.\d+)?)?$/;
const PERIOD = /^(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})$/;

function periodMinutes(text: string): number | null {
  const m = PERIOD.exec(text.trim());
  if (!m) return null;
  const from = Number(m[1]) * 60 + Number(m[2]);
  const to = Number(m[3]) * 60 + Number(m[4]);
  const len = (to - from + 1440) % 1440;
  return len === 0 ? null : len;
}

/** The rows of one answer page → slots in PLN/kWh. */
export function parsePseRce(body: unknown, where = SOURCE): PriceSlot[] {
  if (!body || typeof body !== 'object' || !Array.isArray((body as { value?: unknown }).value)) {
    throw new TariffParseError(where, 'expected a JSON object with a "value" array of rows');
  }
  const rows = (body as { value: unknown[] }).value;
  const slots = rows.map((row, i) => {
    const at = `${where}: value[${i}]`;
    if (!row || typeof row !== 'object') throw new TariffParseError(at, 'expected an object');
    const r = row as Record<string, unknown>;
    const end = typeof r.dtime_utc === 'string' ? UTC_TIME.exec(r.dtime_utc.trim()) : null;
    if (!end) throw new TariffParseError(at, `"dtime_utc" missing or not "YYYY-MM-DD HH:MM:SS" (got ${JSON.stringify(r.dtime_utc)})`);
    const period = typeof r.period_utc === 'string' ? r.period_utc : typeof r.period === 'string' ? r.period : null;
    const minutes = period === null ? null : periodMinutes(period);
    if (minutes === null) throw new TariffParseError(at, `"period_utc" missing or not "HH:MM - HH:MM" (got ${JSON.stringify(period)})`);
    const price = typeof r.rce_pln === 'string' ? Number(r.rce_pln) : r.rce_pln;
    if (typeof price !== 'number' || !Number.isFinite(price)) {
      throw new TariffParseError(at, `"rce_pln" is not a number (got ${JSON.stringify(r.rce_pln)})`);
    }
    const endMs = Date.parse(`${end[1]}T${end[2]}${end[3] ?? ':00'}Z`);
    return { start: endMs - minutes * 60_000, end: endMs, pricePerKwh: price / 1000 };
  });
  return checkSlots(slots, where);
}

export class PseRceTariff implements Tariff {
  readonly name = 'pse-rce';
  readonly currency = 'PLN';
  constructor(private readonly options: PseRceOptions) {}

  /** The request URL for the Polish business days that cover [startMs, endMs). */
  urlFor(startMs: number, endMs: number): string {
    const first = zoned(startMs, 'Europe/Warsaw').toPlainDate();
    const last = zoned(Math.max(startMs, endMs - 1), 'Europe/Warsaw').toPlainDate();
    const filter =
      Temporal.PlainDate.compare(first, last) === 0
        ? `business_date eq '${first}'`
        : `business_date ge '${first}' and business_date le '${last}'`;
    const base = (this.options.baseUrl ?? PSE_DEFAULT_BASE_URL).replace(/\/+$/, '');
    return `${base}/rce-pln?$filter=${encodeURIComponent(filter)}`;
  }

  async pricesBetween(startMs: number, endMs: number): Promise<PriceSlot[]> {
    if (!(endMs > startMs)) return [];
    const all: PriceSlot[] = [];
    let url: string | null = this.urlFor(startMs, endMs);
    const maxPages = this.options.maxPages ?? 20;
    for (let page = 1; url; page++) {
      if (page > maxPages) throw new TariffSourceError(SOURCE, `more than ${maxPages} pages of answers; giving up`);
      const answer = await fetchText(this.options.fetch, url, SOURCE, { headers: { accept: 'application/json' } }, this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      if (answer.status !== 200) {
        throw new TariffSourceError(SOURCE, `HTTP ${answer.status}: ${excerpt(answer.text)}`, answer.status);
      }
      let body: unknown;
      try {
        body = JSON.parse(answer.text);
      } catch {
        throw new TariffParseError(SOURCE, `answer is not JSON: ${excerpt(answer.text)}`);
      }
      all.push(...parsePseRce(body, `${SOURCE} page ${page}`));
      const next = (body as { nextLink?: unknown }).nextLink;
      url = typeof next === 'string' && next.length > 0 ? next : null;
    }
    const slots = clipSlots(checkSlots(all, SOURCE), startMs, endMs);
    if (slots.length === 0) {
      throw new TariffNoDataError(SOURCE, `no prices published for ${new Date(startMs).toISOString()} – ${new Date(endMs).toISOString()}`, 200);
    }
    return slots;
  }
}
