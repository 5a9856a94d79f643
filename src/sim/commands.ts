import type { Region } from './options.js';
import { appliesAt, oneTimeExpiry, parseDaysOfWeek, type ChargeSchedule } from './schedules.js';
import { SimInputError } from './errors.js';
import { isCharging, windowEnd, wantsCharge, type Vehicle, type VehicleEnv } from './vehicles.js';
import { localTime } from './localtime.js';

/**
 * Vehicle commands, as they answer through Tesla's signing proxy: HTTP 200 with
 * `{"result":true,"reason":""}`, or `result:false` with the car's reason (`is_charging`, `not_charging`,
 * `complete`, `disconnected`, …). The simulator plays car and proxy at once, so it accepts the commands
 * unsigned. Malformed arguments are a 400, as the proxy rejects them before they reach the car.
 */

export interface CommandResult {
  result: boolean;
  reason: string;
}

interface CommandContext {
  v: Vehicle;
  body: Record<string, unknown>;
  now: number;
  env: VehicleEnv;
  region: Region;
}

const ok: CommandResult = { result: true, reason: '' };
const refuse = (reason: string): CommandResult => ({ result: false, reason });
const MAX_SCHEDULES = 10;

function intArg(body: Record<string, unknown>, name: string, min: number, max: number): number {
  const value = body[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SimInputError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value) ?? 'nothing'}`);
  }
  return value;
}

function optionalBool(body: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = body[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new SimInputError(`${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function coordinate(body: Record<string, unknown>, name: string, limit: number): number {
  const value = body[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > limit) {
    throw new SimInputError(`${name} must be a number from -${limit} to ${limit}, got ${JSON.stringify(value) ?? 'nothing'}`);
  }
  return value;
}

/** Validates add_charge_schedule arguments into a schedule (also used by the admin API for owner schedules). */
export function scheduleFromArgs(body: Record<string, unknown>, now: number, timeZone: string, fallbackId: number): ChargeSchedule {
  const days = parseDaysOfWeek(body.days_of_week);
  if (days === null) {
    throw new SimInputError(
      `days_of_week must be "All", "Weekdays", "Weekends", day names like "Monday,Tuesday" or a bitmask 1-127, got ${JSON.stringify(body.days_of_week) ?? 'nothing'}`,
    );
  }
  const startEnabled = optionalBool(body, 'start_enabled', false);
  const endEnabled = optionalBool(body, 'end_enabled', false);
  if (!startEnabled && !endEnabled) throw new SimInputError('start_enabled or end_enabled must be true');
  const id = body.id === undefined || body.id === 0 ? fallbackId : intArg(body, 'id', 1, Number.MAX_SAFE_INTEGER);
  const name = body.name;
  if (name !== undefined && typeof name !== 'string') throw new SimInputError('name must be a string');
  const schedule: ChargeSchedule = {
    id,
    name: name ?? '',
    days_of_week: days,
    enabled: optionalBool(body, 'enabled', true),
    start_enabled: startEnabled,
    start_time: startEnabled ? intArg(body, 'start_time', 0, 1439) : 0,
    end_enabled: endEnabled,
    end_time: endEnabled ? intArg(body, 'end_time', 0, 1439) : 0,
    one_time: optionalBool(body, 'one_time', false),
    latitude: coordinate(body, 'lat', 90),
    longitude: coordinate(body, 'lon', 180),
    expires_at: null,
    last_fired_at: null,
  };
  if (schedule.one_time) schedule.expires_at = oneTimeExpiry(schedule, now, timeZone);
  return schedule;
}

/** A new schedule id: Tesla's are large numbers; epoch seconds keep them unique and increasing. */
export function nextScheduleId(v: Vehicle, now: number): number {
  let id = Math.floor(now / 1000);
  while (v.schedules.some((s) => s.id === id) || v.preconditioningSchedules.some((s) => s.id === id)) id++;
  return id;
}

/** Installs (or replaces, by id) a schedule; scheduling stops a session that only began because of plugging in. */
export function putSchedule(v: Vehicle, schedule: ChargeSchedule, now: number): void {
  v.schedules = [...v.schedules.filter((s) => s.id !== schedule.id), schedule];
  if (v.latch === 'plugin' && appliesAt(schedule, v.latitude, v.longitude, now)) v.latch = null;
}

const COMMANDS: Record<string, (ctx: CommandContext) => CommandResult> = {
  charge_start({ v, now, env }) {
    if (!v.pluggedIn) return refuse('disconnected');
    if (v.battery >= v.chargeLimitSoc) return refuse('complete');
    if (isCharging(v, now, env)) return refuse('is_charging');
    v.latch = 'manual';
    v.suppressedUntil = 0;
    return ok;
  },
  charge_stop({ v, now, env }) {
    if (!v.pluggedIn || !wantsCharge(v, now, localTime(now, env.timeZone))) return refuse('not_charging');
    v.latch = null;
    // Inside a schedule window the car would resume at once: it stays stopped until that window closes.
    v.suppressedUntil = windowEnd(v, now, env);
    return ok;
  },
  set_charge_limit({ v, body }) {
    const percent = intArg(body, 'percent', 50, 100);
    if (percent === v.chargeLimitSoc) return refuse('already_set');
    v.chargeLimitSoc = percent;
    return ok;
  },
  set_charging_amps({ v, body, region }) {
    const amps = intArg(body, 'charging_amps', 0, 48);
    // Three-phase 230 V in Europe and China, single-phase 240 V in North America.
    v.chargerPowerKw = Math.round(amps * (region === 'NA' ? 0.24 : 0.69) * 10) / 10;
    return ok;
  },
  add_charge_schedule({ v, body, now, env }) {
    const schedule = scheduleFromArgs(body, now, env.timeZone, nextScheduleId(v, now));
    const replaces = v.schedules.some((s) => s.id === schedule.id);
    if (!replaces && v.schedules.length >= MAX_SCHEDULES) return refuse('max_schedules_reached');
    putSchedule(v, schedule, now);
    return ok;
  },
  remove_charge_schedule({ v, body }) {
    const id = intArg(body, 'id', 1, Number.MAX_SAFE_INTEGER);
    if (!v.schedules.some((s) => s.id === id)) return refuse('not_found');
    v.schedules = v.schedules.filter((s) => s.id !== id);
    return ok;
  },
  charge_port_door_open: () => ok,
  charge_port_door_close: () => ok,
};

export const SUPPORTED_COMMANDS = Object.keys(COMMANDS);

/** Runs a command on an online car; undefined when the simulator does not know the command. */
export function runCommand(name: string, ctx: CommandContext): CommandResult | undefined {
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  return command?.(ctx);
}
