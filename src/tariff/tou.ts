/**
 * Time-of-use tariffs from configuration: prices by local time of day, day type (weekday / weekend / holiday)
 * and season, evaluated in the tariff's own time zone with Temporal, so zone edges stay on the wall clock across
 * DST changes.
 *
 * Semantics (per instant): the first rule that matches the local date and wall-clock time gives the price;
 * otherwise `basePrice`. A rule matches when
 *   - the local date is inside its season (MM-DD to MM-DD inclusive; may wrap over New Year),
 *   - the local date's day type is one of its days (a holiday counts as "holiday", not as its weekday),
 *   - the wall-clock time is in [from, to); from > to wraps over midnight (22:00→06:00); from = to is all day.
 * A wrapping rule is judged on each side of midnight by that side's own date: "22:00→06:00 on weekdays" covers
 * Sunday 00:00-06:00 only if Sunday were a weekday. That is exactly how Polish G12w reads (weekend all day).
 */
import { z } from 'zod';
import { Temporal } from 'temporal-polyfill';
import { TariffParseError } from './errors.js';
import { isPolishHoliday } from './holidays.js';
import {
  DEFAULT_TIME_ZONE,
  HOUR_MS,
  instantAt,
  isValidTimeZone,
  offsetTransitions,
  parseHhMm,
  startOfDay,
  wallMinutes,
  zoned,
} from './local-time.js';
import type { PriceSlot, Tariff } from './types.js';

export const DAY_TYPES = ['weekday', 'weekend', 'holiday'] as const;
export type DayType = (typeof DAY_TYPES)[number];

const hhmm = z.string().refine((s) => parseHhMm(s, true) !== null, { message: 'expected a time "HH:MM" from 00:00 to 24:00' });
const mmdd = z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, { message: 'expected a day of the year "MM-DD"' });
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date "YYYY-MM-DD"' });

export const touRuleSchema = z
  .object({
    label: z.string().optional(),
    from: hhmm,
    to: hhmm,
    price: z.number(),
    days: z.array(z.enum(DAY_TYPES)).min(1).optional(),
    season: z.object({ from: mmdd, to: mmdd }).strict().optional(),
  })
  .strict();

export const touConfigSchema = z
  .object({
    name: z.string().min(1),
    currency: z.string().min(1),
    timeZone: z
      .string()
      .refine(isValidTimeZone, { message: 'not an IANA time zone (e.g. Europe/Warsaw)' })
      .default(DEFAULT_TIME_ZONE),
    /** The price outside every rule (the peak price of a two-zone tariff). */
    basePrice: z.number(),
    rules: z.array(touRuleSchema).default([]),
    /** 'PL' for the Polish public holidays, or explicit local dates. Without it no day is a holiday. */
    holidays: z.union([z.literal('PL'), z.array(isoDate)]).optional(),
  })
  .strict();

export type TouRule = z.input<typeof touRuleSchema>;
export type TouConfig = z.input<typeof touConfigSchema>;
type ParsedConfig = z.output<typeof touConfigSchema>;

/** Validates a configuration object (from JSON or code); problems name the field, e.g. `rules.1.to`. */
export function parseTouConfig(input: unknown, where = 'time-of-use tariff'): ParsedConfig {
  const result = touConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
  throw new TariffParseError(where, `invalid configuration: ${problems.join('; ')}`);
}

interface CompiledRule {
  from: number;
  to: number;
  price: number;
  days: ReadonlySet<DayType> | null;
  season: { from: number; to: number } | null;
}

const monthDay = (s: string): number => Number(s.slice(0, 2)) * 100 + Number(s.slice(3, 5));

function compile(rule: z.output<typeof touRuleSchema>): CompiledRule {
  return {
    from: parseHhMm(rule.from, true) as number,
    to: parseHhMm(rule.to, true) as number,
    price: rule.price,
    days: rule.days ? new Set(rule.days) : null,
    season: rule.season ? { from: monthDay(rule.season.from), to: monthDay(rule.season.to) } : null,
  };
}

function inSeason(season: CompiledRule['season'], date: Temporal.PlainDate): boolean {
  if (!season) return true;
  const md = date.month * 100 + date.day;
  return season.from <= season.to ? md >= season.from && md <= season.to : md >= season.from || md <= season.to;
}

function inTime(rule: CompiledRule, minutes: number): boolean {
  const from = rule.from % 1440;
  const to = rule.to % 1440;
  if (from === to) return true;
  return from < to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
}

export class TouTariff implements Tariff {
  readonly name: string;
  readonly currency: string;
  readonly timeZone: string;
  private readonly basePrice: number;
  private readonly rules: CompiledRule[];
  private readonly holiday: (date: Temporal.PlainDate) => boolean;

  constructor(config: TouConfig) {
    const c = parseTouConfig(config, `tariff ${config.name ?? '(unnamed)'}`);
    this.name = c.name;
    this.currency = c.currency;
    this.timeZone = c.timeZone;
    this.basePrice = c.basePrice;
    this.rules = c.rules.map(compile);
    const listed = Array.isArray(c.holidays) ? new Set(c.holidays) : null;
    this.holiday =
      c.holidays === 'PL' ? isPolishHoliday : listed ? (d) => listed.has(d.toString()) : () => false;
  }

  dayType(date: Temporal.PlainDate): DayType {
    if (this.holiday(date)) return 'holiday';
    return date.dayOfWeek >= 6 ? 'weekend' : 'weekday';
  }

  /** The price per kWh at one instant. */
  priceAt(epochMs: number): number {
    const z = zoned(epochMs, this.timeZone);
    const date = z.toPlainDate();
    const minutes = wallMinutes(z);
    const type = this.dayType(date);
    for (const rule of this.rules) {
      if (rule.days && !rule.days.has(type)) continue;
      if (!inSeason(rule.season, date)) continue;
      if (inTime(rule, minutes)) return rule.price;
    }
    return this.basePrice;
  }

  async pricesBetween(startMs: number, endMs: number): Promise<PriceSlot[]> {
    return this.slotsBetween(startMs, endMs);
  }

  /**
   * Slots cut at every instant where the price may change (rule edges, local midnights, offset transitions) and
   * at every whole UTC hour, so no slot is longer than an hour. Each slot's price is its start's price.
   */
  slotsBetween(startMs: number, endMs: number): PriceSlot[] {
    if (!(endMs > startMs)) return [];
    const cuts = new Set<number>([startMs, endMs]);
    for (let t = Math.ceil(startMs / HOUR_MS) * HOUR_MS; t < endMs; t += HOUR_MS) cuts.add(t);
    for (const t of offsetTransitions(startMs, endMs, this.timeZone)) cuts.add(t);
    const last = zoned(endMs, this.timeZone).toPlainDate();
    for (let d = zoned(startMs, this.timeZone).toPlainDate().subtract({ days: 1 }); ; d = d.add({ days: 1 })) {
      cuts.add(startOfDay(d, this.timeZone));
      for (const rule of this.rules) {
        for (const minutes of [rule.from, rule.to]) {
          // Both readings of a wall time repeated by DST; a skipped one is covered by the transition cut.
          cuts.add(instantAt(d, minutes, this.timeZone, 'earlier'));
          cuts.add(instantAt(d, minutes, this.timeZone, 'later'));
        }
      }
      if (Temporal.PlainDate.compare(d, last) >= 0) break;
    }
    const sorted = [...cuts].filter((t) => t >= startMs && t <= endMs).sort((a, b) => a - b);
    const slots: PriceSlot[] = [];
    for (let i = 0; i + 1 < sorted.length; i++) {
      const start = sorted[i] as number;
      const end = sorted[i + 1] as number;
      slots.push({ start, end, pricePerKwh: this.priceAt(start) });
    }
    return slots;
  }
}
