/**
 * Dynamic prices from a file: CSV with a `start` column and one price column (the shape of
 * ../shared/data/be-day-ahead-prices.csv: `start,eur_per_kwh`), or JSON. Pure parsing: reading the file is the
 * caller's business.
 *
 * CSV: a header line; `start` is ISO 8601 with a UTC offset or Z (a local time without offset is refused: it is
 * ambiguous once a year); the price column is `price`, `price_per_kwh` or `<currency>_per_kwh`, or
 * `<currency>_per_mwh` (divided by 1000); an optional `end` column. Without `end`, a slot lasts until the next
 * row, but never longer than the file's usual step (so a gap in the data stays a gap, not a long slot).
 * Lines starting with # and blank lines are skipped.
 *
 * JSON: `[{start, end?, price}]` or `{currency?, prices: [...]}`; the price may also be named `pricePerKwh` or
 * `price_per_kwh`.
 */
import { TariffParseError } from './errors.js';
import { checkSlots } from './slot-tariff.js';
import type { PriceSlot } from './types.js';

export interface ParsedPrices {
  slots: PriceSlot[];
  /** Currency named by the file (a column like eur_per_kwh, or a JSON field), when it names one. */
  currency: string | null;
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function parseInstant(text: string, where: string, what: string): number {
  const t = text.trim();
  if (!ISO_WITH_OFFSET.test(t)) {
    throw new TariffParseError(
      where,
      `${what} "${t}" is not an ISO 8601 time with a UTC offset (like 2024-03-31T03:00:00+02:00 or …Z)`,
    );
  }
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new TariffParseError(where, `${what} "${t}" is not a valid date`);
  return ms;
}

function parsePrice(text: string, where: string): number {
  const t = text.trim();
  const n = t === '' ? NaN : Number(t);
  if (!Number.isFinite(n)) throw new TariffParseError(where, `price "${t}" is not a number (use a dot for decimals)`);
  return n;
}

interface PriceColumn {
  index: number;
  divisor: number;
  currency: string | null;
}

function findPriceColumn(header: string[], where: string): PriceColumn {
  for (let i = 0; i < header.length; i++) {
    const name = (header[i] as string).toLowerCase();
    if (name === 'price' || name === 'price_per_kwh') return { index: i, divisor: 1, currency: null };
    const m = /^([a-z]{3})_per_(kwh|mwh)$/.exec(name);
    if (m) return { index: i, divisor: m[2] === 'mwh' ? 1000 : 1, currency: (m[1] as string).toUpperCase() };
  }
  throw new TariffParseError(
    where,
    `no price column in header "${header.join(',')}": name it price, price_per_kwh, or like eur_per_kwh / pln_per_mwh`,
  );
}

/** The most frequent positive gap between consecutive starts: the file's resolution (1 h, 15 min…). */
function usualStep(starts: number[]): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < starts.length; i++) {
    const gap = (starts[i] as number) - (starts[i - 1] as number);
    counts.set(gap, (counts.get(gap) ?? 0) + 1);
  }
  let best = 3_600_000;
  let bestCount = 0;
  for (const [gap, count] of counts) if (count > bestCount || (count === bestCount && gap < best)) [best, bestCount] = [gap, count];
  return best;
}

/** Turns rows of (start, end?, price) into slots; rows must have increasing starts. */
function rowsToSlots(rows: { start: number; end: number | null; price: number; where: string }[], source: string): PriceSlot[] {
  for (let i = 1; i < rows.length; i++) {
    const row = rows[i] as (typeof rows)[number];
    if (row.start <= (rows[i - 1] as (typeof rows)[number]).start) {
      throw new TariffParseError(row.where, 'start is not after the previous row\'s start (rows must be in time order, no duplicates)');
    }
  }
  const step = usualStep(rows.map((r) => r.start));
  const slots = rows.map((row, i) => {
    const next = rows[i + 1];
    const end = row.end ?? (next ? Math.min(next.start, row.start + step) : row.start + step);
    if (!(end > row.start)) throw new TariffParseError(row.where, 'end is not after start');
    return { start: row.start, end, pricePerKwh: row.price };
  });
  return checkSlots(slots, source);
}

export function parsePriceCsv(text: string, source = 'prices.csv'): ParsedPrices {
  const lines = text.split(/\r?\n/);
  let header: string[] | null = null;
  let startCol = -1;
  let endCol = -1;
  let price: PriceColumn | null = null;
  const rows: { start: number; end: number | null; price: number; where: string }[] = [];
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${source}:${n + 1}`;
    const cells = line.split(',').map((c) => c.trim());
    if (!header) {
      header = cells.map((c) => c.replace(/^"|"$/g, ''));
      startCol = header.findIndex((h) => h.toLowerCase() === 'start');
      endCol = header.findIndex((h) => h.toLowerCase() === 'end');
      if (startCol < 0) throw new TariffParseError(where, `header "${line}" has no "start" column`);
      price = findPriceColumn(header, where);
      continue;
    }
    if (cells.length !== header.length) {
      throw new TariffParseError(where, `expected ${header.length} comma-separated values, found ${cells.length}`);
    }
    const col = price as PriceColumn;
    rows.push({
      start: parseInstant(cells[startCol] as string, where, 'start'),
      end: endCol >= 0 ? parseInstant(cells[endCol] as string, where, 'end') : null,
      price: parsePrice(cells[col.index] as string, where) / col.divisor,
      where,
    });
  }
  if (!header) throw new TariffParseError(source, 'empty file: expected a header line like "start,price"');
  if (rows.length === 0) throw new TariffParseError(source, 'no price rows after the header');
  return { slots: rowsToSlots(rows, source), currency: (price as PriceColumn).currency };
}

export function parsePriceJson(text: string, source = 'prices.json'): ParsedPrices {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new TariffParseError(source, `not valid JSON (${(err as Error).message})`);
  }
  return pricesFromJsonValue(data, source);
}

/** The same, for a value already parsed (the caller may have looked at it to tell prices from a TOU config). */
export function pricesFromJsonValue(data: unknown, source: string): ParsedPrices {
  let list: unknown = data;
  let currency: string | null = null;
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const obj = data as Record<string, unknown>;
    list = obj.prices;
    if (typeof obj.currency === 'string') currency = obj.currency;
  }
  if (!Array.isArray(list)) {
    throw new TariffParseError(source, 'expected an array of {start, price} or an object with a "prices" array');
  }
  if (list.length === 0) throw new TariffParseError(source, 'the price list is empty');
  const rows = list.map((item: unknown, i) => {
    const where = `${source}: prices[${i}]`;
    if (!item || typeof item !== 'object') throw new TariffParseError(where, 'expected an object {start, price}');
    const o = item as Record<string, unknown>;
    const raw = o.price ?? o.pricePerKwh ?? o.price_per_kwh;
    if (typeof o.start !== 'string') throw new TariffParseError(where, '"start" must be an ISO time string');
    if (typeof raw !== 'number' || !Number.isFinite(raw)) throw new TariffParseError(where, '"price" must be a number');
    if (o.end !== undefined && typeof o.end !== 'string') throw new TariffParseError(where, '"end" must be an ISO time string');
    return {
      start: parseInstant(o.start, where, 'start'),
      end: typeof o.end === 'string' ? parseInstant(o.end, where, 'end') : null,
      price: raw,
      where,
    };
  });
  return { slots: rowsToSlots(rows, source), currency };
}
