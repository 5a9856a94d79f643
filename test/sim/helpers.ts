import { createHash } from 'node:crypto';
import { ManualClock } from '../../src/core/clock.js';
import { buildSimulator, type SimOptions, type Simulator } from '../../src/sim/index.js';

/** Shared set-up for the simulator tests: a sim on a ManualClock, driven with app.inject (no ports). */

export const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

export interface Harness {
  sim: Simulator;
  clock: ManualClock;
}

export async function harness(options: SimOptions = {}): Promise<Harness> {
  const clock = new ManualClock(Date.parse('2026-03-10T12:00:00Z'));
  const sim = await buildSimulator({ clock, ...options });
  return { sim, clock };
}

export interface CreatedAccount {
  account_id: string;
  client_id: string;
  refresh_token: string;
  vehicles: { id: number; vin: string; display_name: string }[];
}

export async function createAccount(sim: Simulator, body: Record<string, unknown> = {}): Promise<CreatedAccount> {
  const res = await sim.app.inject({ method: 'POST', url: '/sim/accounts', payload: body });
  if (res.statusCode !== 201) throw new Error(`account creation failed: ${res.statusCode} ${res.body}`);
  return res.json() as CreatedAccount;
}

/** POST /oauth2/v3/token form-encoded, as Tesla's clients send it. */
export function tokenRequest(sim: Simulator, fields: Record<string, string>) {
  return sim.app.inject({
    method: 'POST',
    url: '/oauth2/v3/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
}

export interface Pair {
  access_token: string;
  refresh_token: string;
  id_token: string;
  expires_in: number;
  token_type: string;
}

export async function refresh(sim: Simulator, clientId: string, refreshToken: string): Promise<Pair> {
  const res = await tokenRequest(sim, { grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken });
  if (res.statusCode !== 200) throw new Error(`refresh failed: ${res.statusCode} ${res.body}`);
  return res.json() as Pair;
}

/** An account with one car and a first access token. */
export async function withToken(sim: Simulator, body: Record<string, unknown> = {}) {
  const account = await createAccount(sim, body);
  const pair = await refresh(sim, account.client_id, account.refresh_token);
  const vin = account.vehicles[0]?.vin ?? '';
  return { account, pair, vin, auth: { authorization: `Bearer ${pair.access_token}` } };
}

export function fleet(sim: Simulator, method: 'GET' | 'POST', url: string, token: string, payload?: unknown) {
  return sim.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

export async function stats(sim: Simulator, account?: string): Promise<any> {
  const res = await sim.app.inject({ method: 'GET', url: account ? `/sim/stats?account=${account}` : '/sim/stats' });
  return res.json();
}

export async function vehicleAdmin(sim: Simulator, vin: string): Promise<any> {
  return (await sim.app.inject({ method: 'GET', url: `/sim/vehicles/${vin}` })).json();
}

export async function patchVehicle(sim: Simulator, vin: string, body: Record<string, unknown>) {
  return sim.app.inject({ method: 'PATCH', url: `/sim/vehicles/${vin}`, payload: body });
}
