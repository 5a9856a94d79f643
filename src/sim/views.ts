import type { Region } from './options.js';
import { chargingState, isCharging, powerState, type Vehicle, type VehicleEnv } from './vehicles.js';

/**
 * The JSON shapes Tesla answers with, built from a car that has already been advanced to `now`.
 * Ranges are in miles and charge rate in miles of range per hour, as the Fleet API reports them.
 */

/** Miles of rated range per percent of charge (a long-range Model 3: ~310 mi at 100 %). */
const MILES_PER_PERCENT = 3.1;
/** Plug type as the car reports it per market; "<invalid>" means nothing is plugged in. */
const CABLE: Record<Region, string> = { EU: 'IEC', NA: 'SAE', CN: 'GB_AC' };

const round2 = (x: number): number => Math.round(x * 100) / 100;

export function listItem(v: Vehicle, now: number, env: VehicleEnv): Record<string, unknown> {
  return {
    id: v.id,
    vehicle_id: v.vehicleId,
    vin: v.vin,
    display_name: v.displayName,
    state: powerState(v, now, env),
    in_service: false,
    id_s: String(v.id),
    access_type: 'OWNER',
    calendar_enabled: true,
    api_version: 81,
  };
}

export function chargeState(v: Vehicle, now: number, env: VehicleEnv, region: Region): Record<string, unknown> {
  const charging = isCharging(v, now, env);
  const level = Math.floor(v.battery);
  const range = round2(v.battery * MILES_PER_PERCENT);
  const remainingH = charging ? ((v.chargeLimitSoc - v.battery) / 100) * (v.capacityKwh / v.chargerPowerKw) : 0;
  const phases = charging ? (v.chargerPowerKw > 7.4 ? 3 : 1) : null;
  const voltage = charging ? 230 : 0;
  return {
    battery_level: level,
    usable_battery_level: level,
    battery_range: range,
    est_battery_range: range,
    ideal_battery_range: range,
    charging_state: chargingState(v, now, env),
    charge_limit_soc: v.chargeLimitSoc,
    charge_limit_soc_min: 50,
    charge_limit_soc_max: 100,
    charge_limit_soc_std: 80,
    conn_charge_cable: v.pluggedIn ? CABLE[region] : '<invalid>',
    charge_port_door_open: v.pluggedIn,
    charge_port_latch: v.pluggedIn ? 'Engaged' : 'Disengaged',
    charger_power: charging ? Math.round(v.chargerPowerKw) : 0,
    charger_voltage: voltage,
    charger_phases: phases,
    charger_actual_current: charging && phases ? Math.round((v.chargerPowerKw * 1000) / (voltage * phases)) : 0,
    charge_rate: charging ? round2((v.chargerPowerKw / v.capacityKwh) * 100 * MILES_PER_PERCENT) : 0,
    charge_energy_added: round2(v.energyAddedKwh),
    time_to_full_charge: round2(remainingH),
    minutes_to_full_charge: Math.round(remainingH * 60),
    fast_charger_present: false,
    scheduled_charging_mode: v.schedules.length > 0 ? 'StartAt' : 'Off',
    scheduled_charging_pending: v.pluggedIn && !charging && v.schedules.some((s) => s.enabled),
    timestamp: now,
  };
}

/** The car's schedules without the simulator's bookkeeping fields. */
export function publicSchedules(v: Vehicle): Record<string, unknown>[] {
  return v.schedules.map((s) => ({
    id: s.id,
    name: s.name,
    days_of_week: s.days_of_week,
    enabled: s.enabled,
    start_enabled: s.start_enabled,
    start_time: s.start_time,
    end_enabled: s.end_enabled,
    end_time: s.end_time,
    one_time: s.one_time,
    latitude: s.latitude,
    longitude: s.longitude,
  }));
}

export const KNOWN_ENDPOINTS = new Set([
  'charge_state',
  'climate_state',
  'closures_state',
  'drive_state',
  'gui_settings',
  'location_data',
  'charge_schedule_data',
  'preconditioning_schedule_data',
  'vehicle_config',
  'vehicle_state',
  'vehicle_data_combo',
]);

/** Endpoints Tesla returns when none are named: everything except location and schedules. */
const DEFAULT_ENDPOINTS = ['charge_state', 'climate_state', 'drive_state', 'gui_settings', 'vehicle_config', 'vehicle_state'];

/** `endpoints=a;b` (also `%3B`, and commas, which some clients send). */
export function parseEndpoints(raw: unknown): string[] {
  if (typeof raw !== 'string' || raw.trim() === '') return DEFAULT_ENDPOINTS;
  return raw
    .split(/[;,]/)
    .map((e) => e.trim())
    .filter((e) => e !== '');
}

export function vehicleData(
  v: Vehicle,
  endpoints: readonly string[],
  now: number,
  env: VehicleEnv,
  region: Region,
): Record<string, unknown> {
  const want = new Set(endpoints);
  const out: Record<string, unknown> = { ...listItem(v, now, env), user_id: 1 };
  if (want.has('charge_state')) out.charge_state = chargeState(v, now, env, region);
  if (want.has('climate_state')) out.climate_state = { inside_temp: 18.5, outside_temp: 9, is_climate_on: false, timestamp: now };
  if (want.has('closures_state')) out.closures_state = { locked: true, df: 0, pf: 0, dr: 0, pr: 0, ft: 0, rt: 0, timestamp: now };
  if (want.has('drive_state') || want.has('location_data')) {
    const drive: Record<string, unknown> = { shift_state: null, speed: null, power: 0, timestamp: now };
    // Since firmware 2023.38 the position is only given when location_data is asked for.
    if (want.has('location_data')) {
      Object.assign(drive, {
        latitude: v.latitude,
        longitude: v.longitude,
        heading: v.heading,
        native_latitude: v.latitude,
        native_longitude: v.longitude,
        native_location_supported: 1,
        native_type: 'wgs',
        gps_as_of: Math.floor(now / 1000),
      });
    }
    out.drive_state = drive;
  }
  if (want.has('charge_schedule_data')) {
    out.charge_schedule_data = {
      charge_schedules: publicSchedules(v),
      charge_schedule_window: null,
      max_num_charge_schedules: 10,
      next_schedule: false,
      timestamp: now,
    };
  }
  if (want.has('preconditioning_schedule_data')) {
    out.preconditioning_schedule_data = {
      preconditioning_schedules: v.preconditioningSchedules.map((s) => ({ ...s })),
      max_num_precondition_schedules: 10,
      timestamp: now,
    };
  }
  if (want.has('gui_settings')) {
    out.gui_settings = { gui_distance_units: 'km/hr', gui_charge_rate_units: 'kW', gui_24_hour_time: true, timestamp: now };
  }
  if (want.has('vehicle_config')) out.vehicle_config = { car_type: 'model3', charge_port_type: 'CCS', timestamp: now };
  if (want.has('vehicle_state')) {
    out.vehicle_state = {
      car_version: '2025.20.6 sim',
      locked: true,
      odometer: round2(v.odometerMi),
      sentry_mode: false,
      vehicle_name: v.displayName,
      timestamp: now,
    };
  }
  return out;
}

/** Everything the simulator knows about a car, for the admin API (no tokens live here). */
export function adminView(v: Vehicle, now: number, env: VehicleEnv, region: Region): Record<string, unknown> {
  return {
    id: v.id,
    vehicle_id: v.vehicleId,
    vin: v.vin,
    display_name: v.displayName,
    account_id: v.accountId,
    state: powerState(v, now, env),
    asleep: powerState(v, now, env) !== 'online',
    asleep_label: v.asleepLabel,
    wake_ready_at: v.wakeReadyAt,
    asleep_at: powerState(v, now, env) === 'online' && !isCharging(v, now, env) ? v.lastActiveAt + env.sleepAfterMs : null,
    battery_level: Math.floor(v.battery),
    battery_level_exact: Math.round(v.battery * 1000) / 1000,
    charge_limit_soc: v.chargeLimitSoc,
    plugged_in: v.pluggedIn,
    charging_state: chargingState(v, now, env),
    charger_power_kw: v.chargerPowerKw,
    battery_capacity_kwh: v.capacityKwh,
    charge_energy_added: round2(v.energyAddedKwh),
    charge_session: v.latch,
    latitude: v.latitude,
    longitude: v.longitude,
    heading: v.heading,
    charge_state: chargeState(v, now, env, region),
    charge_schedules: publicSchedules(v),
    preconditioning_schedules: v.preconditioningSchedules.map((s) => ({ ...s })),
    now,
  };
}
