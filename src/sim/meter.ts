import { PRICE_USD, costUsd, emptyCounters, type BillingCategory, type BillingCounters } from '../tesla/billing.js';

/**
 * Counters of everything the simulator was asked, kept globally and per account, and the bill Tesla would
 * send for it (PRICE_USD, shared with the client's own counters so both report the same figures).
 *
 * Billing rule (TESLA.md "Pricing"): every Fleet API response with status < 500 is billed, 408 and 429
 * included. Exception: requests without a valid access token (401 invalid/expired/revoked, or a fault that
 * answered before the token was known to be good) are not billed, because Tesla can only bill an
 * application it can attribute the call to, and the simulator cannot attribute them to an account either.
 * Token endpoints are free but counted.
 */

export type OauthOutcome =
  | 'refresh_ok'
  | 'authorization_code_ok'
  | 'login_required'
  | 'unauthorized_client'
  | 'invalid_request'
  | 'invalid_grant'
  | 'unsupported_grant_type';

export interface Counters {
  oauth: Record<'requests' | OauthOutcome, number>;
  fleet: { requests: number; by_status: Record<string, number>; by_endpoint: Record<string, number> };
  billing: BillingCounters;
  wakes: number;
  faults_injected: number;
}

const emptyOauth = (): Counters['oauth'] => ({
  requests: 0,
  refresh_ok: 0,
  authorization_code_ok: 0,
  login_required: 0,
  unauthorized_client: 0,
  invalid_request: 0,
  invalid_grant: 0,
  unsupported_grant_type: 0,
});

const emptyCountersSet = (): Counters => ({
  oauth: emptyOauth(),
  fleet: { requests: 0, by_status: {}, by_endpoint: {} },
  billing: emptyCounters(),
  wakes: 0,
  faults_injected: 0,
});

export interface FleetRecord {
  status: number;
  /** e.g. "vehicle_data", "wake_up", "command/charge_start", "list"; null for unknown paths. */
  endpoint: string | null;
  category: BillingCategory | null;
  /** The account the valid token belongs to; null when the request carried no valid token. */
  accountId: string | null;
}

const usd = (count: number, category: BillingCategory): number => Math.round(count * PRICE_USD[category] * 1e6) / 1e6;

export class Meter {
  private global = emptyCountersSet();
  private readonly accounts = new Map<string, Counters>();

  private each(accountId: string | null, apply: (c: Counters) => void): void {
    apply(this.global);
    if (accountId === null) return;
    let c = this.accounts.get(accountId);
    if (!c) {
      c = emptyCountersSet();
      this.accounts.set(accountId, c);
    }
    apply(c);
  }

  oauthRequest(accountId: string | null): void {
    this.each(accountId, (c) => c.oauth.requests++);
  }

  oauthOutcome(outcome: OauthOutcome, accountId: string | null): void {
    this.each(accountId, (c) => c.oauth[outcome]++);
  }

  fleet(rec: FleetRecord): void {
    const billed = rec.category !== null && rec.accountId !== null && rec.status < 500 && rec.status !== 401;
    this.each(rec.accountId, (c) => {
      c.fleet.requests++;
      const status = String(rec.status);
      c.fleet.by_status[status] = (c.fleet.by_status[status] ?? 0) + 1;
      if (rec.endpoint !== null) c.fleet.by_endpoint[rec.endpoint] = (c.fleet.by_endpoint[rec.endpoint] ?? 0) + 1;
      if (billed && rec.category !== null) c.billing[rec.category]++;
    });
  }

  /** A wake_up call that reached a car (billed or not, it is what drains batteries). */
  wake(accountId: string): void {
    this.each(accountId, (c) => c.wakes++);
  }

  fault(accountId: string | null): void {
    this.each(accountId, (c) => c.faults_injected++);
  }

  /** The /sim/stats document; for an account that made no calls, all zeros. */
  snapshot(accountId?: string): Record<string, unknown> {
    const c = accountId === undefined ? this.global : (this.accounts.get(accountId) ?? emptyCountersSet());
    const b = c.billing;
    return {
      ...(accountId === undefined ? {} : { account: accountId }),
      oauth: { ...c.oauth },
      fleet: { requests: c.fleet.requests, by_status: { ...c.fleet.by_status }, by_endpoint: { ...c.fleet.by_endpoint } },
      billing: {
        data: { count: b.data, usd: usd(b.data, 'data') },
        command: { count: b.command, usd: usd(b.command, 'command') },
        wake: { count: b.wake, usd: usd(b.wake, 'wake') },
        free: { count: b.free, usd: 0 },
        total_usd: costUsd(b),
      },
      wakes: c.wakes,
      faults_injected: c.faults_injected,
    };
  }

  reset(): void {
    this.global = emptyCountersSet();
    this.accounts.clear();
  }
}
