import { systemClock, type Clock } from '../core/clock.js';
import { emptyCounters, type BillingCategory, type BillingCounters } from './billing.js';
import { CommandFailedError, UnexpectedResponseError, VehicleUnavailableError } from './errors.js';
import { describe, fleetError, send, type Fetch } from './http.js';
import { parseVehicleData, VEHICLE_DATA_ENDPOINTS, type VehicleSnapshot } from './vehicle-data.js';

export type VehicleOnlineState = 'online' | 'asleep' | 'offline';

export interface VehicleSummary {
  id: number;
  vehicleId: number;
  vin: string;
  displayName: string | null;
  state: VehicleOnlineState | string;
}

export interface FleetClientOptions {
  /** Regional Fleet API base URL, e.g. https://fleet-api.prd.eu.vn.cloud.tesla.com */
  apiUrl: string;
  fetch?: Fetch;
  clock?: Clock;
  timeoutMs?: number;
  /** Price category of the vehicle list and single-vehicle reads (Tesla does not say; default free). */
  listCategory?: BillingCategory;
  /** Tesla's signing proxy (TESLA_COMMAND_PROXY_URL): commands go there, reads stay on apiUrl. */
  commandProxyUrl?: string;
  /** How waiting for a woken car passes time (a virtual clock's advance in the demo). */
  sleep?: (ms: number) => Promise<void>;
}

/** A charge schedule to add (add_charge_schedule's body; times in minutes after local midnight). */
export interface ChargeScheduleArgs {
  days_of_week: string;
  enabled: boolean;
  start_enabled: boolean;
  start_time: number;
  end_enabled: boolean;
  end_time: number;
  lat: number;
  lon: number;
  one_time: boolean;
}

/**
 * The Fleet API calls the system needs. The access token is passed per call (it belongs to the broker, not
 * to the client). Every request that Tesla bills is counted in `calls`, so each component can report what it
 * spent.
 */
export class FleetClient {
  private readonly fetch: Fetch;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly listCategory: BillingCategory;
  readonly calls: BillingCounters = emptyCounters();

  constructor(private readonly options: FleetClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.listCategory = options.listCategory ?? 'free';
  }

  /** All vehicles of the account (every page). Does not wake any car. */
  async listVehicles(accessToken: string): Promise<VehicleSummary[]> {
    const all: VehicleSummary[] = [];
    for (let page = 1; ; page++) {
      const body = await this.request(accessToken, 'GET', `/api/1/vehicles?page=${page}&per_page=100`, this.listCategory);
      const items = body.response;
      if (!Array.isArray(items)) throw this.malformed('GET /api/1/vehicles', 'response is not a list');
      all.push(...items.map((item) => toSummary(item)));
      const count = typeof body.count === 'number' ? body.count : all.length;
      if (items.length < 100 || all.length >= count) return all;
    }
  }

  /** One vehicle's summary and online state. Does not wake the car. */
  async getVehicle(accessToken: string, vin: string): Promise<VehicleSummary> {
    const body = await this.request(accessToken, 'GET', `/api/1/vehicles/${encodeURIComponent(vin)}`, this.listCategory);
    return toSummary(body.response);
  }

  /**
   * Live data. Throws VehicleUnavailableError (408) when the car is asleep: that answer is billed too, so
   * callers check the state first.
   */
  async vehicleData(accessToken: string, vin: string, endpoints: string[]): Promise<Record<string, unknown>> {
    const query = endpoints.length ? `?endpoints=${encodeURIComponent(endpoints.join(';'))}` : '';
    const body = await this.request(accessToken, 'GET', `/api/1/vehicles/${encodeURIComponent(vin)}/vehicle_data${query}`, 'data');
    const response = body.response;
    if (!response || typeof response !== 'object') throw this.malformed('vehicle_data', 'response is not an object');
    return response as Record<string, unknown>;
  }

  /** vehicle_data with the endpoints the charging code needs, parsed; fields Tesla did not give are null. */
  async vehicleSnapshot(accessToken: string, vin: string): Promise<VehicleSnapshot> {
    return parseVehicleData(vin, await this.vehicleData(accessToken, vin, VEHICLE_DATA_ENDPOINTS), this.clock.now());
  }

  /**
   * Wakes the car only if it is not online, then polls its (free) state until it is, for at most `maxWaitMs`.
   * Returns whether a wake_up was sent. Throws VehicleUnavailableError when it did not come online in time.
   */
  async ensureOnline(accessToken: string, vin: string, maxWaitMs = 60_000, pollMs = 5_000): Promise<boolean> {
    if ((await this.getVehicle(accessToken, vin)).state === 'online') return false;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    let state = (await this.wakeUp(accessToken, vin)).state;
    for (let waited = 0; state !== 'online'; waited += pollMs) {
      if (waited >= maxWaitMs) throw new VehicleUnavailableError(`Tesla ${vin}: not online ${maxWaitMs / 1000} s after wake_up`, 408);
      await sleep(pollMs);
      state = (await this.getVehicle(accessToken, vin)).state;
    }
    return true;
  }

  async addChargeSchedule(accessToken: string, vin: string, args: ChargeScheduleArgs): Promise<void> {
    await this.command(accessToken, vin, 'add_charge_schedule', args);
  }

  /** Removing a schedule that is already gone is success (its absence is what was wanted). Returns whether it existed. */
  async removeChargeSchedule(accessToken: string, vin: string, id: number): Promise<boolean> {
    return this.command(accessToken, vin, 'remove_charge_schedule', { id }, /not[_ ]?found|does not exist|no such/);
  }

  /** A limit that is already set is success. */
  async setChargeLimit(accessToken: string, vin: string, percent: number): Promise<boolean> {
    return this.command(accessToken, vin, 'set_charge_limit', { percent }, /already_set/);
  }

  /** A car that is not charging is what charge_stop wants: success. */
  async chargeStop(accessToken: string, vin: string): Promise<boolean> {
    return this.command(accessToken, vin, 'charge_stop', {}, /not_charging/);
  }

  /**
   * Sends a command (to the signing proxy when configured) and checks `result`: HTTP 200 with result:false is a
   * CommandFailedError unless its reason matches `okReason`. Resolves true when the car did it, false when the
   * reason said it was already so.
   */
  private async command(accessToken: string, vin: string, name: string, body: unknown, okReason?: RegExp): Promise<boolean> {
    const path = `/api/1/vehicles/${encodeURIComponent(vin)}/command/${name}`;
    const answer = await this.request(accessToken, 'POST', path, 'command', body, this.options.commandProxyUrl);
    const response = answer.response as Record<string, unknown> | null | undefined;
    if (!response || typeof response.result !== 'boolean') throw this.malformed(`command ${name}`, 'no result in the answer');
    if (response.result) return true;
    const error = new CommandFailedError(name, typeof response.reason === 'string' ? response.reason : '');
    if (okReason?.test(error.reasonCode)) return false;
    throw error;
  }

  /** Billed as a wake ($0.02). The car needs some seconds to come online afterwards. */
  async wakeUp(accessToken: string, vin: string): Promise<VehicleSummary> {
    const body = await this.request(accessToken, 'POST', `/api/1/vehicles/${encodeURIComponent(vin)}/wake_up`, 'wake');
    return toSummary(body.response);
  }

  private async request(
    accessToken: string,
    method: 'GET' | 'POST',
    path: string,
    category: BillingCategory,
    json?: unknown,
    baseUrl: string = this.options.apiUrl,
  ): Promise<Record<string, unknown>> {
    const url = joinUrl(baseUrl, path);
    const headers: Record<string, string> = { authorization: `Bearer ${accessToken}`, accept: 'application/json' };
    if (json !== undefined) headers['content-type'] = 'application/json';
    const res = await send(this.fetch, url, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) }, this.timeoutMs);
    // Tesla bills every answer below 500 (408 and 429 included); an unauthenticated 401 is not attributable.
    if (res.status < 500 && res.status !== 401) this.calls[category]++;
    if (res.status < 200 || res.status >= 300) throw fleetError(`Tesla ${describe(method, url)}`, res, this.clock.now());
    if (!res.body) throw this.malformed(describe(method, url), 'empty or non-JSON body', res.status);
    return res.body;
  }

  private malformed(what: string, why: string, status = 200): UnexpectedResponseError {
    return new UnexpectedResponseError(`Tesla ${what}: ${why}`, status);
  }
}

/**
 * `path` (absolute, may carry a query) under `base`, keeping any path prefix of the base: a signing proxy at
 * `https://host/proxy` gets `https://host/proxy/api/1/…`, where `new URL('/api/…', base)` would drop `/proxy`.
 */
export function joinUrl(base: string, path: string): string {
  const root = new URL(base);
  const prefix = root.pathname.replace(/\/+$/, '');
  return new URL(`${prefix}${path.startsWith('/') ? path : `/${path}`}`, root.origin).toString();
}

function toSummary(item: unknown): VehicleSummary {
  if (!item || typeof item !== 'object') throw new UnexpectedResponseError('Tesla vehicle: not an object', 200);
  const v = item as Record<string, unknown>;
  if (typeof v.vin !== 'string') throw new UnexpectedResponseError('Tesla vehicle: no vin', 200);
  return {
    id: Number(v.id),
    vehicleId: Number(v.vehicle_id),
    vin: v.vin,
    displayName: typeof v.display_name === 'string' ? v.display_name : null,
    state: typeof v.state === 'string' ? v.state : 'unknown',
  };
}
