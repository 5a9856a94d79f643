/**
 * `vehicle_data` parsed into the typed snapshot the charging code works with. Every field that Tesla did not
 * give (endpoint not returned, field absent, wrong type) is `null` = UNKNOWN, which is never the same as an
 * empty list: the original system took a failed schedule read for "no schedules" and re-added everything.
 */

/** What the charging code asks for: charge, position, and both schedule lists (read-only for preconditioning). */
export const VEHICLE_DATA_ENDPOINTS = ['charge_state', 'location_data', 'charge_schedule_data', 'preconditioning_schedule_data'];

export interface CarChargeSchedule {
  id: number;
  /** Bitmask as the car reports it (Sunday = 1 … Saturday = 64); a name list when the car sends one. */
  daysOfWeek: number | string;
  enabled: boolean;
  startEnabled: boolean;
  startTime: number;
  endEnabled: boolean;
  endTime: number;
  oneTime: boolean;
  lat: number;
  lon: number;
}

export interface VehicleSnapshot {
  vin: string;
  /** Epoch ms when it was read. */
  at: number;
  batteryLevel: number | null;
  chargingState: string | null;
  chargeLimitSoc: number | null;
  /** From conn_charge_cable / charging_state; null when neither was given. */
  pluggedIn: boolean | null;
  location: { lat: number; lon: number } | null;
  /** null: unknown (not returned); []: the car holds none. */
  chargeSchedules: CarChargeSchedule[] | null;
  /** Never modified by offpeak; kept apart so they can never be mistaken for charge schedules. */
  preconditioningSchedules: Array<{ id: number }> | null;
}

const obj = (v: unknown): Record<string, unknown> | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function pluggedFrom(charge: Record<string, unknown>): boolean | null {
  const cable = str(charge.conn_charge_cable);
  if (cable !== null) return cable !== '' && cable !== '<invalid>';
  const state = str(charge.charging_state);
  if (state === null) return null;
  return state !== 'Disconnected';
}

function parseSchedule(raw: unknown): CarChargeSchedule | null {
  const s = obj(raw);
  if (!s) return null;
  const id = num(s.id);
  const lat = num(s.latitude) ?? num(s.lat);
  const lon = num(s.longitude) ?? num(s.lon);
  const days = typeof s.days_of_week === 'number' || typeof s.days_of_week === 'string' ? s.days_of_week : null;
  if (id === null || lat === null || lon === null || days === null) return null;
  return {
    id,
    daysOfWeek: days,
    enabled: s.enabled === true,
    startEnabled: s.start_enabled === true,
    startTime: num(s.start_time) ?? 0,
    endEnabled: s.end_enabled === true,
    endTime: num(s.end_time) ?? 0,
    oneTime: s.one_time === true,
    lat,
    lon,
  };
}

/** A list where one item cannot be read is unknown as a whole: acting on part of it could remove the wrong one. */
function scheduleList(container: Record<string, unknown> | null, field: string): CarChargeSchedule[] | null {
  const list = container?.[field];
  if (!Array.isArray(list)) return null;
  const parsed = list.map(parseSchedule);
  return parsed.every((s): s is CarChargeSchedule => s !== null) ? parsed : null;
}

export function parseVehicleData(vin: string, response: Record<string, unknown>, at: number): VehicleSnapshot {
  const charge = obj(response.charge_state);
  const drive = obj(response.drive_state);
  const lat = num(drive?.latitude);
  const lon = num(drive?.longitude);
  const precond = obj(response.preconditioning_schedule_data);
  const precondList = precond?.preconditioning_schedules;
  return {
    vin,
    at,
    batteryLevel: num(charge?.battery_level),
    chargingState: str(charge?.charging_state),
    chargeLimitSoc: num(charge?.charge_limit_soc),
    pluggedIn: charge ? pluggedFrom(charge) : null,
    location: lat !== null && lon !== null ? { lat, lon } : null,
    chargeSchedules: scheduleList(obj(response.charge_schedule_data), 'charge_schedules'),
    preconditioningSchedules: Array.isArray(precondList)
      ? precondList.map((p) => ({ id: num(obj(p)?.id) ?? -1 }))
      : null,
  };
}
