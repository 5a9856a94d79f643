/**
 * Day-ahead prices from the ENTSO-E Transparency Platform REST API: documentType A44, in_Domain = out_Domain =
 * the bidding zone's EIC code, periodStart/periodEnd as yyyyMMddHHmm UTC, the key in `securityToken` (that is the
 * API's documented way; error messages never repeat the URL).
 *
 * Answer: a Publication_MarketDocument with TimeSeries → Period (timeInterval start/end, resolution PT60M or
 * PT15M) → Point (position from 1, price.amount in currency_Unit.name per price_Measure_Unit.name = MWH).
 * curveType A03 ("variable sized block") omits points whose price repeats the previous one: a point lasts until
 * the next listed position. A01 lists every position. Where a zone publishes both hourly and quarter-hourly
 * series, the finer one wins. "No data" and other refusals come as an Acknowledgement_MarketDocument with a
 * Reason code and text (code 999: no matching data), with HTTP 200 or 400.
 */
import { TariffConfigError, TariffNoDataError, TariffParseError, TariffSourceError } from './errors.js';
import { DEFAULT_TIMEOUT_MS, excerpt, fetchText } from './http.js';
import { checkSlots, clipSlots } from './slot-tariff.js';
import { HOUR_MS } from './local-time.js';
import { child, childrenNamed, childText, parseXml, XmlSyntaxError, type XmlElement } from './xml.js';
import type { FetchLike, PriceSlot, Tariff } from './types.js';

export const ENTSOE_DEFAULT_BASE_URL = 'https://web-api.tp.entsoe.eu/api';

/** EIC codes of some bidding zones, so users can write `entsoe:PL`. Any EIC code is accepted as well. */
export const BIDDING_ZONES: Readonly<Record<string, string>> = {
  PL: '10YPL-AREA-----S',
  BE: '10YBE----------2',
  NL: '10YNL----------L',
  FR: '10YFR-RTE------C',
  AT: '10YAT-APG------L',
  'DE-LU': '10Y1001A1001A82H',
  CZ: '10YCZ-CEPS-----N',
  SK: '10YSK-SEPS-----K',
};

export type EntsoeDocument =
  | { kind: 'prices'; currency: string; slots: PriceSlot[] }
  | { kind: 'acknowledgement'; code: string; text: string };

const SOURCE = 'ENTSO-E A44';

function resolutionMs(text: string, where: string): number {
  const m = /^PT(\d+)([MH])$/.exec(text);
  if (!m) throw new TariffParseError(where, `unsupported resolution "${text}" (expected like PT60M or PT15M)`);
  return Number(m[1]) * (m[2] === 'H' ? HOUR_MS : 60_000);
}

function instant(text: string | undefined, where: string): number {
  const ms = text && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw new TariffParseError(where, `expected a UTC time like 2026-03-28T23:00Z, got ${JSON.stringify(text)}`);
  return ms;
}

function periodSlots(period: XmlElement, curveType: string, divisor: number, where: string): { res: number; slots: PriceSlot[] } {
  const interval = child(period, 'timeInterval');
  if (!interval) throw new TariffParseError(where, 'Period has no timeInterval');
  const start = instant(childText(interval, 'start'), `${where}.timeInterval.start`);
  const end = instant(childText(interval, 'end'), `${where}.timeInterval.end`);
  const res = resolutionMs(childText(period, 'resolution') ?? '', `${where}.resolution`);
  const count = Math.round((end - start) / res);
  const points = childrenNamed(period, 'Point').map((p, i) => {
    const position = Number(childText(p, 'position'));
    const amount = Number(childText(p, 'price.amount'));
    if (!Number.isInteger(position) || position < 1 || position > count) {
      throw new TariffParseError(`${where}.Point[${i}]`, `position ${childText(p, 'position')} outside 1..${count}`);
    }
    if (!Number.isFinite(amount)) throw new TariffParseError(`${where}.Point[${i}]`, `price.amount is not a number`);
    return { position, price: amount / divisor };
  });
  points.sort((a, b) => a.position - b.position);
  const slots: PriceSlot[] = [];
  points.forEach((p, i) => {
    // A03 blocks run until the next listed position (or the period's end); A01 points last one step each.
    const until = curveType === 'A03' ? (points[i + 1]?.position ?? count + 1) : p.position + 1;
    for (let pos = p.position; pos < until; pos++) {
      slots.push({ start: start + (pos - 1) * res, end: start + pos * res, pricePerKwh: p.price });
    }
  });
  return { res, slots };
}

/** Parses an A44 answer (or an acknowledgement) into per-kWh slots. */
export function parseEntsoeDocument(xml: string, where = SOURCE): EntsoeDocument {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (err) {
    if (err instanceof XmlSyntaxError) throw new TariffParseError(where, `not well-formed XML: ${err.message}`);
    throw err;
  }
  if (root.name === 'Acknowledgement_MarketDocument') {
    const reason = child(root, 'Reason');
    return { kind: 'acknowledgement', code: (reason && childText(reason, 'code')) ?? '', text: (reason && childText(reason, 'text')) ?? '' };
  }
  if (root.name !== 'Publication_MarketDocument') {
    throw new TariffParseError(where, `expected a Publication_MarketDocument, got <${root.name}>`);
  }
  let currency: string | null = null;
  const groups: { res: number; slots: PriceSlot[] }[] = [];
  childrenNamed(root, 'TimeSeries').forEach((ts, t) => {
    const at = `${where}: TimeSeries[${t}]`;
    const cur = childText(ts, 'currency_Unit.name');
    if (!cur) throw new TariffParseError(at, 'no currency_Unit.name');
    if (currency && cur !== currency) throw new TariffParseError(at, `mixed currencies ${currency} and ${cur}`);
    currency = cur;
    const unit = childText(ts, 'price_Measure_Unit.name');
    if (unit !== 'MWH') throw new TariffParseError(at, `price unit "${unit}" is not MWH`);
    const curve = childText(ts, 'curveType') ?? 'A01';
    childrenNamed(ts, 'Period').forEach((p, i) => groups.push(periodSlots(p, curve, 1000, `${at}.Period[${i}]`)));
  });
  if (!currency || groups.length === 0) throw new TariffParseError(where, 'the document holds no TimeSeries with prices');
  // Finer resolution first; a coarser slot is kept only where no finer slot overlaps it.
  groups.sort((a, b) => a.res - b.res);
  const taken: PriceSlot[] = [];
  for (const g of groups) {
    const before = [...taken].sort((a, b) => a.start - b.start);
    for (const s of g.slots) {
      if (!overlapsAny(before, s)) taken.push(s);
    }
  }
  return { kind: 'prices', currency, slots: checkSlots(dedupe(taken), where) };
}

function overlapsAny(sorted: PriceSlot[], s: PriceSlot): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as PriceSlot).end <= s.start) lo = mid + 1;
    else hi = mid;
  }
  const next = sorted[lo];
  return next !== undefined && next.start < s.end;
}

/** The same slot twice (two periods repeating a day) is one slot; different prices for one slot stay an error. */
function dedupe(slots: PriceSlot[]): PriceSlot[] {
  const seen = new Map<string, PriceSlot>();
  for (const s of slots) {
    const key = `${s.start}/${s.end}`;
    const prev = seen.get(key);
    if (!prev || prev.pricePerKwh === s.pricePerKwh) seen.set(key, s);
    else throw new TariffParseError(SOURCE, `two prices for ${new Date(s.start).toISOString()}`);
  }
  return [...seen.values()];
}

export interface EntsoeOptions {
  fetch: FetchLike;
  /** The Transparency Platform security token (ENTSOE_API_KEY). */
  apiKey: string;
  /** A key of BIDDING_ZONES (PL, BE, …) or an EIC code. */
  zone: string;
  /** The currency the documents are expected in (ENTSO-E publishes day-ahead prices in EUR). */
  currency?: string;
  baseUrl?: string;
  timeoutMs?: number;
}

/** yyyyMMddHHmm in UTC, as the API wants. */
export function entsoeTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace(/[-T:]/g, '');
}

export class EntsoeDayAheadTariff implements Tariff {
  readonly name: string;
  readonly currency: string;
  private readonly eic: string;
  constructor(private readonly options: EntsoeOptions) {
    if (!options.apiKey) throw new TariffConfigError('ENTSO-E needs an API key (set ENTSOE_API_KEY)');
    this.eic = BIDDING_ZONES[options.zone.toUpperCase()] ?? options.zone;
    if (!/^[0-9A-Z-]{16}$/.test(this.eic)) {
      throw new TariffConfigError(`"${options.zone}" is not a known bidding zone (${Object.keys(BIDDING_ZONES).join(', ')}) or a 16-character EIC code`);
    }
    this.name = `entsoe:${options.zone}`;
    this.currency = options.currency ?? 'EUR';
  }

  urlFor(startMs: number, endMs: number): string {
    const params = new URLSearchParams({
      documentType: 'A44',
      in_Domain: this.eic,
      out_Domain: this.eic,
      periodStart: entsoeTime(Math.floor(startMs / HOUR_MS) * HOUR_MS),
      periodEnd: entsoeTime(Math.ceil(endMs / HOUR_MS) * HOUR_MS),
      securityToken: this.options.apiKey,
    });
    return `${(this.options.baseUrl ?? ENTSOE_DEFAULT_BASE_URL).replace(/\/+$/, '')}?${params}`;
  }

  async pricesBetween(startMs: number, endMs: number): Promise<PriceSlot[]> {
    if (!(endMs > startMs)) return [];
    const answer = await fetchText(this.options.fetch, this.urlFor(startMs, endMs), SOURCE, {}, this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    if (answer.status === 401 || answer.status === 403) {
      throw new TariffSourceError(SOURCE, `the API key was refused (HTTP ${answer.status}); check ENTSOE_API_KEY`, answer.status);
    }
    if (answer.status === 429) throw new TariffSourceError(SOURCE, 'rate limited (HTTP 429); try again later', 429);
    const looksLikeXml = answer.text.trimStart().startsWith('<');
    if (answer.status !== 200 && !(answer.status === 400 && looksLikeXml)) {
      throw new TariffSourceError(SOURCE, `HTTP ${answer.status}: ${excerpt(answer.text)}`, answer.status);
    }
    const doc = parseEntsoeDocument(answer.text);
    if (doc.kind === 'acknowledgement') {
      const message = `refused with reason ${doc.code || '(none)'}: ${doc.text || '(no text)'}`;
      if (doc.code === '999' && /no matching data/i.test(doc.text)) throw new TariffNoDataError(SOURCE, message, answer.status);
      throw new TariffSourceError(SOURCE, message, answer.status);
    }
    if (doc.currency !== this.currency) {
      throw new TariffParseError(SOURCE, `prices are in ${doc.currency}, expected ${this.currency} (set the tariff's currency)`);
    }
    const slots = clipSlots(doc.slots, startMs, endMs);
    if (slots.length === 0) throw new TariffNoDataError(SOURCE, 'the answer holds no prices for the requested range', answer.status);
    return slots;
  }
}
