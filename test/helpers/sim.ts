import { buildSimulator, type SimOptions, type Simulator } from '../../src/sim/index.js';
import { injectFetch } from './inject-fetch.js';

export interface SimAccount {
  account_id: string;
  client_id: string;
  refresh_token: string;
  vehicles: Array<{ id: number; vin: string; display_name: string }>;
}

export interface SimStats {
  oauth: { requests: number; refresh_ok: number; login_required: number };
  billing: Record<'data' | 'command' | 'wake' | 'free', { count: number; usd: number }> & { total_usd: number };
  wakes: number;
}

/** The simulator in-process, reached through `inject()`, plus typed admin helpers. */
export async function inProcessSim(options: SimOptions = {}) {
  const sim: Simulator = await buildSimulator(options);
  const fetch = injectFetch(sim.app);
  const base = 'http://sim.test';
  const admin = async <T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> => {
    const res = await sim.app.inject({ method, url: path, ...(body !== undefined && { payload: body as object }) });
    if (res.statusCode >= 300) throw new Error(`sim admin ${method} ${path}: ${res.statusCode} ${res.body}`);
    return res.json() as T;
  };
  return {
    sim,
    fetch,
    base,
    admin,
    createAccount: (body: object = {}) => admin<SimAccount>('POST', '/sim/accounts', body),
    stats: () => admin<SimStats>('GET', '/sim/stats'),
    accountInfo: (id: string) =>
      admin<{ refresh: { latest_sha256: string; grace_sha256: string | null } }>('GET', `/sim/accounts/${id}`),
    fault: (body: object) => admin<{ id: string }>('POST', '/sim/faults', body),
    clearFaults: () => admin('DELETE', '/sim/faults'),
    close: () => sim.close(),
  };
}
