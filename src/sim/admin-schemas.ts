import { ALL_SCOPES, REGIONS } from './options.js';

/**
 * JSON schemas of the admin API bodies. Unknown fields are errors (a typo like "battery" must not be
 * silently ignored in a test), and nothing is coerced ("50" is not a battery level).
 */

const vehicleFields = {
  vin: { type: 'string', pattern: '^[A-Z0-9]{17}$' },
  display_name: { type: 'string', minLength: 1, maxLength: 64 },
  battery_level: { type: 'number', minimum: 0, maximum: 100 },
  charge_limit_soc: { type: 'integer', minimum: 50, maximum: 100 },
  plugged_in: { type: 'boolean' },
  latitude: { type: 'number', minimum: -90, maximum: 90 },
  longitude: { type: 'number', minimum: -180, maximum: 180 },
  asleep: { type: 'boolean' },
  charger_power_kw: { type: 'number', minimum: 0, maximum: 350 },
  asleep_label: { type: 'string', enum: ['asleep', 'offline'] },
} as const;

export const vehicleSpecSchema = { type: 'object', additionalProperties: false, properties: vehicleFields } as const;

export const createAccountSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // A count or a list of cars; each keyword applies only to its own type.
    vehicles: { type: ['integer', 'array'], minimum: 0, maximum: 100, maxItems: 100, items: vehicleSpecSchema },
    client_id: { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,200}$' },
    client_secret: { type: 'string', minLength: 1, maxLength: 500 },
    region: { type: 'string', enum: [...REGIONS] },
    scopes: { type: 'array', uniqueItems: true, items: { type: 'string', enum: [...ALL_SCOPES] } },
  },
} as const;

export const loginSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    redirect_uri: { type: 'string', minLength: 1, maxLength: 2000 },
    code_challenge: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
    code_challenge_method: { type: 'string', enum: ['S256'] },
  },
} as const;

/** Same fields as add_charge_schedule; checked in depth by scheduleFromArgs. */
const scheduleSchema = { type: 'object' } as const;

/** A preconditioning schedule in the shape Tesla's apps set it (times in minutes after local midnight). */
const preconditioningScheduleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'days_of_week', 'lat', 'lon', 'precondition_time'],
  properties: {
    id: { type: 'integer', minimum: 1 },
    // Day names like add_charge_schedule's, or a bitmask; checked by parseDaysOfWeek.
    days_of_week: { type: ['string', 'integer'] },
    enabled: { type: 'boolean' },
    lat: vehicleFields.latitude,
    lon: vehicleFields.longitude,
    precondition_time: { type: 'integer', minimum: 0, maximum: 1439 },
    one_time: { type: 'boolean' },
  },
} as const;

export const patchVehicleSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    asleep: vehicleFields.asleep,
    plugged_in: vehicleFields.plugged_in,
    latitude: vehicleFields.latitude,
    longitude: vehicleFields.longitude,
    battery_level: vehicleFields.battery_level,
    charge_limit_soc: vehicleFields.charge_limit_soc,
    charger_power_kw: vehicleFields.charger_power_kw,
    display_name: vehicleFields.display_name,
    asleep_label: vehicleFields.asleep_label,
    charge_schedules: { type: 'array', maxItems: 10, items: scheduleSchema },
    preconditioning_schedules: { type: 'array', maxItems: 10, items: preconditioningScheduleSchema },
  },
} as const;

export const faultSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['target', 'kind'],
  properties: {
    target: { type: 'string', enum: ['oauth', 'fleet'] },
    kind: { type: 'string', enum: ['latency', 'error', 'rate_limit'] },
    latency_ms: { type: 'integer', minimum: 1, maximum: 600_000 },
    status: { type: 'integer', minimum: 500, maximum: 599 },
    retry_after_s: { type: 'integer', minimum: 0, maximum: 100_000_000 },
    count: { type: 'integer', minimum: 1 },
    path_prefix: { type: 'string', pattern: '^/' },
  },
} as const;

export const advanceClockSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['seconds'],
  properties: { seconds: { type: 'number', minimum: 0, maximum: 366 * 86_400 } },
} as const;
