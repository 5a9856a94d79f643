import { systemClock, type Clock } from '../core/clock.js';
import { emptyCounters, type BillingCategory, type BillingCounters } from './billing.js';
import { UnexpectedResponseError } from './errors.js';
import { describe, fleetError, send, type Fetch } from './http.js';

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
  ): Promise<Record<string, unknown>> {
    const url = new URL(path, this.options.apiUrl).toString();
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
