import { AuthServer, type Account } from './auth.js';
import { SimInputError } from './errors.js';
import { FaultRegistry } from './faults.js';
import { newAccountId, newClientId, newRefreshToken, newVehicleId, newVin, sha256Hex } from './ids.js';
import { Meter } from './meter.js';
import { ALL_SCOPES, type Region, type ResolvedSimOptions } from './options.js';
import { freshRefreshState } from './rotation.js';
import {
  DEFAULT_CAPACITY_KWH,
  DEFAULT_CHARGER_KW,
  DEFAULT_HOME,
  advance,
  setPlugged,
  type AsleepLabel,
  type Vehicle,
  type VehicleEnv,
} from './vehicles.js';

export type { Account, AccessCheck, GrantResult, TokenPair } from './auth.js';

/**
 * The simulator's whole in-memory model: accounts, clients, cars, the auth server, the meter and the faults.
 * HTTP layers (oauth.ts, fleet.ts, admin.ts) translate to and from it.
 */

export interface VehicleInput {
  vin?: string;
  display_name?: string;
  battery_level?: number;
  charge_limit_soc?: number;
  plugged_in?: boolean;
  latitude?: number;
  longitude?: number;
  asleep?: boolean;
  charger_power_kw?: number;
  asleep_label?: AsleepLabel;
}

export interface AccountInput {
  vehicles?: number | VehicleInput[];
  client_id?: string;
  client_secret?: string;
  region?: Region;
  scopes?: string[];
}

/** A car plugged in below its limit starts charging at once, and a charging car does not sleep. */
function checkVehicleSpec(spec: VehicleInput): void {
  const charges =
    spec.plugged_in === true &&
    (spec.battery_level ?? 50) < (spec.charge_limit_soc ?? 80) &&
    (spec.charger_power_kw ?? DEFAULT_CHARGER_KW) > 0;
  if (spec.asleep === true && charges) {
    throw new SimInputError('a car plugged in below its charge limit starts charging and cannot be asleep', 409, 'conflict');
  }
}

export class SimState {
  readonly accounts = new Map<string, Account>();
  readonly vehicles = new Map<string, Vehicle>();
  /** client_id → secret (null: public client, PKCE only). Several accounts may share a client. */
  readonly clients = new Map<string, string | null>();
  readonly meter = new Meter();
  readonly faults = new FaultRegistry();
  readonly auth: AuthServer;
  readonly env: VehicleEnv;
  /** The Fleet API base URL tokens name in `aud`; set by listen(). */
  baseUrl: string;

  constructor(readonly options: ResolvedSimOptions) {
    this.baseUrl = options.publicUrl;
    this.auth = new AuthServer(options, this.accounts, this.clients, () => this.baseUrl);
    this.env = {
      timeZone: options.timeZone,
      sleepAfterMs: options.sleepAfterSec * 1000,
      wakeDelayMs: options.wakeDelaySec * 1000,
    };
  }

  now(): number {
    return this.options.clock.now();
  }

  // ---- accounts and cars -------------------------------------------------------------------------------

  /** Creates an account with its first refresh token (returned once, raw, to the caller only). */
  createAccount(input: AccountInput = {}): { account: Account; refreshToken: string } {
    const clientId = input.client_id ?? newClientId();
    const known = this.clients.get(clientId);
    if (known === undefined) this.clients.set(clientId, input.client_secret ?? null);
    else if (input.client_secret !== undefined && known !== null && known !== input.client_secret) {
      throw new SimInputError(`client ${clientId} already exists with another client_secret`, 409, 'conflict');
    } else if (known === null && input.client_secret !== undefined) this.clients.set(clientId, input.client_secret);
    const wanted = input.vehicles ?? 1;
    const specs: VehicleInput[] = typeof wanted === 'number' ? Array.from({ length: wanted }, () => ({})) : wanted;
    const vins = specs.map((s) => s.vin).filter((v): v is string => v !== undefined);
    for (const vin of vins) if (this.vehicles.has(vin)) throw new SimInputError(`vehicle ${vin} already exists`, 409, 'conflict');
    if (new Set(vins).size !== vins.length) throw new SimInputError('duplicate vin in vehicles', 400);
    specs.forEach(checkVehicleSpec);

    const now = this.now();
    const region = input.region ?? this.options.region;
    const refreshToken = newRefreshToken(region);
    const account: Account = {
      id: newAccountId(),
      clientId,
      region,
      scopes: input.scopes ?? [...ALL_SCOPES],
      vins: [],
      refresh: freshRefreshState(sha256Hex(refreshToken), now),
      liveJtis: this.options.revokeAccessOnRefresh ? new Set() : null,
      createdAt: now,
    };
    this.accounts.set(account.id, account);
    this.auth.registerAccount(account);
    for (const spec of specs) this.addVehicle(account, spec);
    return { account, refreshToken };
  }

  addVehicle(account: Account, spec: VehicleInput): Vehicle {
    let vin = spec.vin;
    if (vin !== undefined && this.vehicles.has(vin)) throw new SimInputError(`vehicle ${vin} already exists`, 409, 'conflict');
    while (vin === undefined || this.vehicles.has(vin)) vin = newVin();
    const now = this.now();
    const v: Vehicle = {
      id: newVehicleId(),
      vehicleId: newVehicleId(),
      vin,
      displayName: spec.display_name ?? `Sim Car ${account.vins.length + 1}`,
      accountId: account.id,
      battery: spec.battery_level ?? 50,
      chargeLimitSoc: spec.charge_limit_soc ?? 80,
      pluggedIn: false,
      latitude: spec.latitude ?? DEFAULT_HOME.latitude,
      longitude: spec.longitude ?? DEFAULT_HOME.longitude,
      heading: 90,
      chargerPowerKw: spec.charger_power_kw ?? DEFAULT_CHARGER_KW,
      capacityKwh: DEFAULT_CAPACITY_KWH,
      lastActiveAt: now,
      wakeReadyAt: null,
      asleepLabel: spec.asleep_label ?? 'asleep',
      latch: null,
      suppressedUntil: 0,
      energyAddedKwh: 0,
      schedules: [],
      preconditioningSchedules: [],
      integratedTo: now,
      odometerMi: 12_345,
    };
    checkVehicleSpec(spec);
    if (spec.plugged_in) setPlugged(v, true, now);
    if (spec.asleep) v.lastActiveAt = now - this.env.sleepAfterMs;
    this.vehicles.set(vin, v);
    account.vins.push(vin);
    return v;
  }

  /** A car by VIN or numeric id, brought up to the simulator clock. */
  findVehicle(idOrVin: string): Vehicle | undefined {
    let v = this.vehicles.get(idOrVin);
    if (!v && /^\d+$/.test(idOrVin)) {
      for (const candidate of this.vehicles.values()) {
        if (String(candidate.id) === idOrVin) {
          v = candidate;
          break;
        }
      }
    }
    if (v) advance(v, this.now(), this.env);
    return v;
  }

  accountVehicles(account: Account): Vehicle[] {
    const now = this.now();
    return account.vins.flatMap((vin) => {
      const v = this.vehicles.get(vin);
      if (!v) return [];
      advance(v, now, this.env);
      return [v];
    });
  }

  /** Admin view: hashes only, never a token. */
  accountView(account: Account): Record<string, unknown> {
    return {
      account_id: account.id,
      client_id: account.clientId,
      region: account.region,
      scopes: account.scopes,
      vehicles: this.accountVehicles(account).map((v) => ({ id: v.id, vin: v.vin, display_name: v.displayName })),
      refresh: this.auth.refreshView(account),
    };
  }
}
