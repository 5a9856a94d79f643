/**
 * `offpeak plan`: a what-if planner on the command line. Reads a tariff (preset, market source or file), plans
 * the charge and prints the windows and the Tesla schedules it would write. Never talks to a car.
 *
 * Exit codes: 0 plan printed; 2 bad input (the message says which option, what is wrong and what to give);
 * 1 the tariff source failed (network, API) — the Worker would then use the safe fallback plan.
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Temporal } from 'temporal-polyfill';
import { planCharging } from '../planner/plan.js';
import { planSchedules, type PlannedSchedule } from '../planner/schedules.js';
import { PLAN_MODES, PlannerInputError, type Plan, type PlanMode } from '../planner/types.js';
import { TariffConfigError, TariffParseError, TariffSourceError } from '../tariff/errors.js';
import { DEFAULT_TIME_ZONE, formatHhMm, formatLocalIso, instantAt, isValidTimeZone, parseHhMm, zoned } from '../tariff/local-time.js';
import { resolveTariff, TARIFF_CHOICES } from '../tariff/resolve.js';
import type { FetchLike, Tariff } from '../tariff/types.js';

export interface PlanCommandDeps {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
  now?: () => number;
  fetch?: FetchLike;
  readFile?: (path: string) => Promise<string>;
  /** Ends the process; tests inject one that throws. */
  exit?: (code: number) => never;
}

/** A bad command line: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** ISO 8601 with offset or zone, or a local date-time read in the home time zone. */
export function parseTimeArg(text: string, timeZone: string, option: string): number {
  const t = text.trim();
  try {
    if (/\[.+\]$/.test(t)) return Temporal.ZonedDateTime.from(t).epochMilliseconds;
    if (/(Z|[+-]\d{2}(:?\d{2})?)$/i.test(t) && t.includes('T')) return Temporal.Instant.from(t).epochMilliseconds;
    return Temporal.PlainDateTime.from(t).toZonedDateTime(timeZone).epochMilliseconds;
  } catch {
    throw new UsageError(
      `${option} "${text}" is not a time: give ISO 8601 like 2026-03-29T07:00+02:00, or 2026-03-29T07:00 (read in ${timeZone})`,
    );
  }
}

/** HH:MM = the next such wall-clock time after `at` in the home zone; anything else as parseTimeArg. */
export function parseReadyBy(text: string, timeZone: string, at: number): number {
  const minutes = parseHhMm(text, false);
  if (minutes === null) return parseTimeArg(text, timeZone, '--ready-by');
  const today = zoned(at, timeZone).toPlainDate();
  const t = instantAt(today, minutes, timeZone);
  return t > at ? t : instantAt(today.add({ days: 1 }), minutes, timeZone);
}

function numberArg(what: string, min: number, max: number, example: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      const range = max === Infinity ? `above ${min}` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`${what} must be a number ${range}, e.g. ${example}.`);
    }
    return n;
  };
}

interface PlanOptions {
  soc: number;
  target: number;
  readyBy: string;
  at?: string;
  capacityKwh: number;
  powerKw: number;
  tariff: string;
  mode: PlanMode;
  floor: number;
  efficiency: number;
  lat?: number;
  lon?: number;
  json?: boolean;
}

const r = (n: number, digits: number): number => Number(n.toFixed(digits));

export function planToJson(p: {
  plan: Plan;
  schedules: PlannedSchedule[];
  tariff: Tariff;
  timeZone: string;
  at: number;
  readyBy: number;
}) {
  const iso = (ms: number) => formatLocalIso(ms, p.timeZone);
  return {
    timezone: p.timeZone,
    tariff: p.tariff.name,
    currency: p.tariff.currency,
    mode: p.plan.mode,
    at: iso(p.at),
    ready_by: iso(p.readyBy),
    required_kwh: r(p.plan.requiredKwh, 3),
    floor_kwh: r(p.plan.floorKwh, 3),
    windows: p.plan.windows.map((w) => ({ start: iso(w.start), end: iso(w.end), kwh: r(w.kwh, 3), cost: r(w.cost, 4) })),
    total_kwh: r(p.plan.totalKwh, 3),
    total_cost: r(p.plan.totalCost, 4),
    shortfall_kwh: r(p.plan.shortfallKwh, 3),
    schedules: p.schedules.map((s) => ({ kind: s.kind, date: s.date, start: iso(s.start), end: iso(s.end), add_charge_schedule: s.params })),
  };
}

export function planToText(j: ReturnType<typeof planToJson>, o: PlanOptions): string {
  const money = (n: number) => `${n.toFixed(2)}${j.currency ? ` ${j.currency}` : ''}`;
  const short = (iso: string) => iso.replace('T', ' ').replace(/:00([+-]\d{2}:\d{2}|Z)$/, ' $1');
  const lines = [
    `Plan (${j.mode === 'continuous' ? 'one continuous window' : 'cheapest slots'}), tariff ${j.tariff}, time zone ${j.timezone}`,
    `${o.soc}% → ${o.target}% of ${o.capacityKwh} kWh at ${o.powerKw} kW, ready by ${short(j.ready_by)}: ${j.required_kwh.toFixed(3)} kWh from the grid`,
  ];
  if (j.windows.length === 0) {
    lines.push('', j.required_kwh === 0 ? 'Nothing to charge.' : 'No charging window fits before the ready-by time.');
  } else {
    lines.push('', `  ${'start'.padEnd(24)}${'end'.padEnd(24)}${'kWh'.padStart(9)}${'cost'.padStart(12)}`);
    for (const w of j.windows) {
      lines.push(`  ${short(w.start).padEnd(24)}${short(w.end).padEnd(24)}${w.kwh.toFixed(3).padStart(9)}${w.cost.toFixed(2).padStart(12)}`);
    }
    lines.push(`  ${'total'.padEnd(48)}${j.total_kwh.toFixed(3).padStart(9)}${money(j.total_cost).padStart(12 + (j.currency ? j.currency.length + 1 : 0))}`);
  }
  if (j.shortfall_kwh > 0) {
    lines.push(`Warning: ${j.shortfall_kwh.toFixed(3)} kWh do not fit before the ready-by time in hours with known prices.`);
  }
  lines.push('', 'Tesla schedules (one-time, minutes after local midnight):');
  for (const s of j.schedules) {
    const p = s.add_charge_schedule;
    const note = s.kind === 'hold' ? '  hold: keeps the car from charging at plug-in' : '';
    lines.push(`  ${s.date} ${p.days_of_week.padEnd(9)} ${formatHhMm(p.start_time)}–${formatHhMm(p.end_time)}  start_time=${p.start_time} end_time=${p.end_time}${note}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerPlanCommand(program: Command, deps: PlanCommandDeps = {}): void {
  const out = deps.stdout ?? ((s: string) => void process.stdout.write(s));
  const err = deps.stderr ?? ((s: string) => void process.stderr.write(s));
  const exit = deps.exit ?? ((code: number) => process.exit(code));
  const env = deps.env ?? process.env;

  const cmd = program
    .command('plan')
    .description('plan the cheapest charging windows and show the Tesla schedules (does not touch any car)')
    .requiredOption('--soc <percent>', 'state of charge now', numberArg('--soc', 0, 100, '--soc 40'))
    .requiredOption('--target <percent>', 'wanted state of charge', numberArg('--target', 0, 100, '--target 80'))
    .requiredOption('--ready-by <time>', 'deadline: HH:MM (next such local time) or ISO 8601')
    .option('--at <time>', 'plan as if it were this time (ISO 8601); default now')
    .requiredOption('--capacity-kwh <kWh>', 'usable battery capacity', numberArg('--capacity-kwh', 1, 1000, '--capacity-kwh 75'))
    .requiredOption('--power-kw <kW>', 'charging power at the wall', numberArg('--power-kw', 0.1, 1000, '--power-kw 11'))
    .requiredOption('--tariff <name|file>', TARIFF_CHOICES)
    .addOption(new Option('--mode <mode>', 'cheapest slots or one continuous window').choices(PLAN_MODES).default('cheapest'))
    .option('--floor <percent>', 'charge at once up to this SoC, whatever the price', numberArg('--floor', 0, 100, '--floor 20'), 0)
    .option('--efficiency <fraction>', 'grid-to-battery efficiency', numberArg('--efficiency', 0.01, 1, '--efficiency 0.9'), 1)
    .option('--lat <degrees>', 'home latitude for the schedules (default HOME_LATITUDE)', numberArg('--lat', -90, 90, '--lat 52.23'))
    .option('--lon <degrees>', 'home longitude for the schedules (default HOME_LONGITUDE)', numberArg('--lon', -180, 180, '--lon 21.01'))
    .option('--json', 'print JSON instead of a table')
    .addHelpText('after', '\nTime zone: OFFPEAK_TIMEZONE (default Europe/Warsaw). Exit codes: 0 ok, 1 tariff source failed, 2 bad input.');

  // Every usage error of this command exits with 2, help with 0.
  cmd.exitOverride((e) => exit(e.exitCode === 0 ? 0 : 2));

  cmd.action(async (o: PlanOptions) => {
    try {
      const timeZone = env.OFFPEAK_TIMEZONE?.trim() || DEFAULT_TIME_ZONE;
      if (!isValidTimeZone(timeZone)) {
        throw new UsageError(`OFFPEAK_TIMEZONE "${timeZone}" is not an IANA time zone: set it to your home zone, e.g. Europe/Warsaw`);
      }
      const at = o.at === undefined ? (deps.now ?? Date.now)() : parseTimeArg(o.at, timeZone, '--at');
      const readyBy = parseReadyBy(o.readyBy, timeZone, at);
      if (readyBy <= at) {
        throw new UsageError(`--ready-by ${formatLocalIso(readyBy, timeZone)} is not after --at ${formatLocalIso(at, timeZone)}: give a later deadline`);
      }
      if (o.floor > o.target) throw new UsageError(`--floor ${o.floor} is above --target ${o.target}: the floor must not exceed the target`);
      const lat = o.lat ?? coordinate(env.HOME_LATITUDE, 'HOME_LATITUDE', 90);
      const lon = o.lon ?? coordinate(env.HOME_LONGITUDE, 'HOME_LONGITUDE', 180);
      const tariff = await resolveTariff(o.tariff, { readFile: deps.readFile ?? ((p) => readFile(p, 'utf8')), fetch: deps.fetch ?? fetch, env });
      const slots = await tariff.pricesBetween(at, readyBy);
      const plan = planCharging({
        slots,
        now: at,
        readyBy,
        socPercent: o.soc,
        targetPercent: o.target,
        floorPercent: o.floor,
        capacityKwh: o.capacityKwh,
        powerKw: o.powerKw,
        efficiency: o.efficiency,
        mode: o.mode,
      });
      const schedules = planSchedules(plan.windows, at, readyBy, { timeZone, lat: lat ?? 0, lon: lon ?? 0 });
      const json = planToJson({ plan, schedules, tariff, timeZone, at, readyBy });
      if (lat === undefined || lon === undefined) {
        err('note: schedules use lat/lon 0,0; give --lat/--lon or set HOME_LATITUDE/HOME_LONGITUDE for real schedules\n');
      }
      out(o.json ? `${JSON.stringify(json, null, 2)}\n` : planToText(json, o));
    } catch (e) {
      const usage = e instanceof UsageError || e instanceof PlannerInputError || e instanceof TariffConfigError || e instanceof TariffParseError;
      if (!usage && !(e instanceof TariffSourceError)) throw e;
      err(`offpeak plan: ${(e as Error).message}\n`);
      if (e instanceof TariffSourceError) err('the tariff source failed; the Worker would use the safe fallback plan instead\n');
      exit(usage ? 2 : 1);
    }
  });
}

function coordinate(value: string | undefined, name: string, limit: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || Math.abs(n) > limit) throw new UsageError(`${name} "${value}" is not a coordinate in degrees (±${limit})`);
  return n;
}
