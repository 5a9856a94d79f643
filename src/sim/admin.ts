import type { FastifyInstance } from 'fastify';
import type { Clock } from '../core/clock.js';
import {
  advanceClockSchema,
  createAccountSchema,
  faultSchema,
  loginSchema,
  patchVehicleSchema,
  vehicleSpecSchema,
} from './admin-schemas.js';
import { nextScheduleId, putSchedule, scheduleFromArgs } from './commands.js';
import { SimInputError } from './errors.js';
import type { FaultSpec } from './faults.js';
import { distanceM, parseDaysOfWeek } from './schedules.js';
import type { Account, AccountInput, SimState, VehicleInput } from './state.js';
import { isCharging, setPlugged, touch, type AsleepLabel, type PreconditioningSchedule, type Vehicle } from './vehicles.js';
import { adminView } from './views.js';

/**
 * The admin API under /sim/ (SYSTEM.md "Contracts"): accounts, cars, counters, faults. No authentication:
 * the simulator binds 127.0.0.1 by default. Reads never return a raw token; refresh tokens appear only as
 * sha256 hex, and the only raw token ever returned is an account's first refresh token, at creation.
 */

interface VehiclePatch {
  asleep?: boolean;
  plugged_in?: boolean;
  latitude?: number;
  longitude?: number;
  battery_level?: number;
  charge_limit_soc?: number;
  charger_power_kw?: number;
  display_name?: string;
  asleep_label?: AsleepLabel;
  charge_schedules?: Record<string, unknown>[];
  preconditioning_schedules?: PreconditioningInput[];
}

interface PreconditioningInput {
  id: number;
  days_of_week: string | number;
  enabled?: boolean;
  lat: number;
  lon: number;
  precondition_time: number;
  one_time?: boolean;
}

const notFound = (what: string) => new SimInputError(`${what} not found`, 404, 'not_found');

export async function adminRoutes(app: FastifyInstance, opts: { state: SimState }): Promise<void> {
  const { state } = opts;

  const accountOr404 = (id: string): Account => {
    const account = state.accounts.get(id);
    if (!account) throw notFound(`account ${id}`);
    return account;
  };
  const vehicleOr404 = (idOrVin: string): Vehicle => {
    const v = state.findVehicle(idOrVin);
    if (!v) throw notFound(`vehicle ${idOrVin}`);
    return v;
  };
  const view = (v: Vehicle) => adminView(v, state.now(), state.env, state.options.region);

  // An admin POST without a body means "all defaults"; schemas then see an empty object.
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined || req.body === null) req.body = {};
  });

  app.get('/sim/health', async () => ({ ok: true }));

  app.post<{ Body: AccountInput | undefined }>('/sim/accounts', { schema: { body: createAccountSchema } }, async (req, reply) => {
    const { account, refreshToken } = state.createAccount(req.body ?? {});
    const summary = state.accountView(account);
    return reply.code(201).send({
      account_id: account.id,
      client_id: account.clientId,
      region: account.region,
      refresh_token: refreshToken,
      vehicles: summary.vehicles,
    });
  });

  app.get('/sim/accounts', async () => ({ accounts: [...state.accounts.values()].map((a) => state.accountView(a)) }));

  app.get<{ Params: { id: string } }>('/sim/accounts/:id', async (req) => state.accountView(accountOr404(req.params.id)));

  app.post<{ Params: { id: string }; Body: VehicleInput | undefined }>(
    '/sim/accounts/:id/vehicles',
    { schema: { body: vehicleSpecSchema } },
    async (req, reply) => {
      const v = state.addVehicle(accountOr404(req.params.id), req.body ?? {});
      return reply.code(201).send(view(v));
    },
  );

  app.post<{ Params: { id: string }; Body: { redirect_uri?: string; code_challenge?: string } | undefined }>(
    '/sim/accounts/:id/login',
    { schema: { body: loginSchema } },
    async (req, reply) => {
      const account = accountOr404(req.params.id);
      const code = state.auth.createLoginCode(account, req.body?.redirect_uri ?? null, req.body?.code_challenge ?? null);
      return reply.code(201).send({ code, client_id: account.clientId });
    },
  );

  app.get<{ Params: { vin: string } }>('/sim/vehicles/:vin', async (req) => view(vehicleOr404(req.params.vin)));

  app.patch<{ Params: { vin: string }; Body: VehiclePatch }>(
    '/sim/vehicles/:vin',
    { schema: { body: patchVehicleSchema } },
    async (req) => {
      const v = vehicleOr404(req.params.vin);
      // Applied to a copy first, so a rejected patch changes nothing.
      const next = structuredClone(v);
      applyPatch(state, next, req.body);
      Object.assign(v, next);
      return view(v);
    },
  );

  app.get<{ Querystring: { account?: string } }>('/sim/stats', async (req) => {
    const id = req.query.account;
    if (id === undefined) return state.meter.snapshot();
    accountOr404(id);
    return state.meter.snapshot(id);
  });

  app.post('/sim/stats/reset', async () => {
    state.meter.reset();
    return { ok: true };
  });

  app.post<{ Body: FaultSpec }>('/sim/faults', { schema: { body: faultSchema } }, async (req, reply) => {
    const spec = req.body;
    if (spec.kind === 'latency' && spec.latency_ms === undefined) throw new SimInputError('latency_ms is required for kind "latency"');
    if (spec.kind !== 'latency' && spec.latency_ms !== undefined) throw new SimInputError('latency_ms only applies to kind "latency"');
    if (spec.kind !== 'error' && spec.status !== undefined) throw new SimInputError('status only applies to kind "error"');
    if (spec.kind !== 'rate_limit' && spec.retry_after_s !== undefined) {
      throw new SimInputError('retry_after_s only applies to kind "rate_limit"');
    }
    const fault = state.faults.add(spec);
    return reply.code(201).send({ id: fault.id, fault });
  });

  app.get('/sim/faults', async () => ({ faults: state.faults.list() }));

  app.delete('/sim/faults', async () => {
    state.faults.clear();
    return { ok: true };
  });

  app.delete<{ Params: { id: string } }>('/sim/faults/:id', async (req) => {
    if (!state.faults.remove(req.params.id)) throw notFound(`fault ${req.params.id}`);
    return { ok: true };
  });

  app.get('/sim/clock', async () => {
    const now = state.now();
    return { now, iso: new Date(now).toISOString(), manual: manualClock(state.options.clock) !== null };
  });

  /** Moves a ManualClock (tests and demos in one process); the system clock cannot be moved. */
  app.post<{ Body: { seconds: number } }>('/sim/clock/advance', { schema: { body: advanceClockSchema } }, async (req) => {
    const clock = manualClock(state.options.clock);
    if (!clock) throw new SimInputError('the simulator runs on the system clock, which cannot be advanced', 409, 'conflict');
    clock.advance(Math.round(req.body.seconds * 1000));
    const now = state.now();
    return { now, iso: new Date(now).toISOString(), manual: true };
  });
}

function manualClock(clock: Clock): { advance(ms: number): void } | null {
  const candidate = clock as Clock & { advance?: unknown };
  return typeof candidate.advance === 'function' ? (candidate as Clock & { advance(ms: number): void }) : null;
}

function preconditioning(input: PreconditioningInput): PreconditioningSchedule {
  const days = parseDaysOfWeek(input.days_of_week);
  if (days === null) {
    throw new SimInputError(
      `days_of_week must be "All", "Weekdays", "Weekends", day names like "Monday,Tuesday" or a bitmask 1-127, got ${JSON.stringify(input.days_of_week)}`,
    );
  }
  return {
    id: input.id,
    days_of_week: days,
    enabled: input.enabled ?? true,
    latitude: input.lat,
    longitude: input.lon,
    precondition_time: input.precondition_time,
    one_time: input.one_time ?? false,
  };
}

/** Admin changes, in the order a person would make them: settings, driving, schedules, plug, sleep. */
function applyPatch(state: SimState, v: Vehicle, patch: VehiclePatch): void {
  const now = state.now();
  if (patch.display_name !== undefined) v.displayName = patch.display_name;
  if (patch.asleep_label !== undefined) v.asleepLabel = patch.asleep_label;
  if (patch.charger_power_kw !== undefined) v.chargerPowerKw = patch.charger_power_kw;
  if (patch.battery_level !== undefined) v.battery = patch.battery_level;
  if (patch.charge_limit_soc !== undefined) v.chargeLimitSoc = patch.charge_limit_soc;
  const lat = patch.latitude ?? v.latitude;
  const lon = patch.longitude ?? v.longitude;
  if (lat !== v.latitude || lon !== v.longitude) {
    // Driving somewhere wakes the car (TESLA.md); the odometer follows, as the crow flies.
    v.odometerMi += distanceM(v.latitude, v.longitude, lat, lon) / 1609.344;
    v.latitude = lat;
    v.longitude = lon;
    touch(v, now);
  }
  if (patch.charge_schedules !== undefined) {
    v.schedules = [];
    for (const args of patch.charge_schedules) {
      putSchedule(v, scheduleFromArgs(args, now, state.env.timeZone, nextScheduleId(v, now)), now);
    }
  }
  if (patch.preconditioning_schedules !== undefined) v.preconditioningSchedules = patch.preconditioning_schedules.map(preconditioning);
  const ids = [...v.schedules, ...v.preconditioningSchedules].map((s) => s.id);
  if (new Set(ids).size !== ids.length) throw new SimInputError('schedule ids must be unique across charge and preconditioning schedules');
  if (patch.plugged_in !== undefined) setPlugged(v, patch.plugged_in, now);
  if (patch.asleep === true) {
    if (isCharging(v, now, state.env)) {
      throw new SimInputError('the car is charging and a charging car stays awake; stop charging or unplug first', 409, 'conflict');
    }
    v.lastActiveAt = Math.min(v.lastActiveAt, now - state.env.sleepAfterMs);
    v.wakeReadyAt = null;
  } else if (patch.asleep === false) {
    v.wakeReadyAt = null;
    touch(v, now);
  }
}
