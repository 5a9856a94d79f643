import { decodeJwt } from 'jose';
import type { Fetch } from '../tesla/http.js';

/**
 * The verification tool of the user's document (test_token_architecture.py), done right: it authenticates,
 * uses the configured Tesla API and region, and proves that concurrent token requests cause no refresh.
 */

export interface CheckOptions {
  workerUrl: string;
  /** The shared secret (self-hosted Worker); ignored when `authorization` is given. */
  secret?: string;
  /** The whole Authorization header, made per request: a Google ID token for a Worker in google mode. */
  authorization?: () => Promise<string>;
  teslaApiUrl: string;
  fetch?: Fetch;
  timeoutMs?: number;
  concurrentRequests?: number;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

type Answer = { status: number; body: Record<string, unknown> | null };

export async function runTokenChecks(options: CheckOptions): Promise<CheckResult[]> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const call = async (url: string, authorization?: string): Promise<Answer> => {
    const res = await fetchImpl(url, {
      headers: { accept: 'application/json', ...(authorization && { authorization }) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> | null };
  };
  const worker = (path: string, authorization?: string) => call(new URL(path, options.workerUrl).toString(), authorization);
  if (!options.authorization && !options.secret) throw new Error('runTokenChecks needs a secret or an authorization provider');
  // ID tokens are minted once and reused: google-auth-library caches them until near expiry anyway.
  const auth = options.authorization ? await options.authorization() : `Bearer ${options.secret}`;
  const results: CheckResult[] = [];
  const check = async (name: string, body: () => Promise<string>): Promise<void> => {
    try {
      results.push({ name, ok: true, detail: await body() });
    } catch (error) {
      results.push({ name, ok: false, detail: error instanceof Error ? error.message : String(error) });
    }
  };
  let token: string | null = null;

  await check('Worker health', async () => {
    const { status, body } = await worker('/health');
    const tokens = body?.tokens as { state?: string; remaining_minutes?: number } | undefined;
    if (status !== 200) throw new Error(`GET /health answered ${status} (tokens: ${tokens?.state ?? 'unknown'})`);
    return `tokens ${tokens?.state ?? 'unknown'}`;
  });

  await check('Worker token endpoint', async () => {
    const { status, body } = await worker('/get-token', auth);
    if (status !== 200) throw new Error(`GET /get-token answered ${status} ${String(body?.error ?? '')}: ${String(body?.message ?? '')}`);
    if (typeof body?.access_token !== 'string' || typeof body.remaining_minutes !== 'number') throw new Error('answer lacks access_token or remaining_minutes');
    if (body.remaining_minutes <= 0) throw new Error(`token is expired (remaining_minutes ${body.remaining_minutes})`);
    token = body.access_token;
    return `token valid for ${body.remaining_minutes} min`;
  });

  await check('Token valid at Tesla', async () => {
    if (!token) throw new Error('no token to test (the token endpoint check failed)');
    const region = regionOf(token);
    const { status, body } = await call(new URL('/api/1/vehicles', options.teslaApiUrl).toString(), `Bearer ${token}`);
    if (status === 421) throw new Error(`wrong region: ${String(body?.error ?? '')} (token region ${region}, configured ${options.teslaApiUrl})`);
    if (status !== 200) throw new Error(`GET ${options.teslaApiUrl}/api/1/vehicles answered ${status} ${String(body?.error ?? '')}`);
    const count = Array.isArray(body?.response) ? body.response.length : 0;
    return `${new URL(options.teslaApiUrl).host} accepted it (region ${region}, ${count} vehicle(s))`;
  });

  await check('Concurrent token requests', async () => {
    const before = await worker('/worker-status', auth);
    const n = options.concurrentRequests ?? 5;
    const answers = await Promise.all(Array.from({ length: n }, () => worker('/get-token', auth)));
    const after = await worker('/worker-status', auth);
    const failed = answers.filter((a) => a.status !== 200);
    if (failed.length) throw new Error(`${failed.length} of ${n} requests failed (status ${failed[0]!.status})`);
    const distinct = new Set(answers.map((a) => a.body?.access_token)).size;
    if (distinct !== 1) throw new Error(`${n} requests returned ${distinct} different tokens`);
    const versionOf = (a: Answer) => (a.body?.tokens as { storeVersion?: number } | undefined)?.storeVersion;
    if (versionOf(before) !== versionOf(after)) throw new Error(`the requests caused a refresh (store version ${versionOf(before)} → ${versionOf(after)})`);
    return `${n} requests, one token, no refresh`;
  });

  await check('Worker status endpoint', async () => {
    const { status, body } = await worker('/worker-status', auth);
    if (status !== 200) throw new Error(`GET /worker-status answered ${status}`);
    const tokens = body?.tokens as { state?: string } | undefined;
    return `store ${String(body?.store)}, auth ${String(body?.auth_mode)}, tokens ${tokens?.state ?? 'unknown'}`;
  });

  await check('Unauthenticated request refused', async () => {
    const anonymous = await worker('/get-token');
    const wrong = await worker('/get-token', 'Bearer not-the-secret');
    if (anonymous.status !== 401 || wrong.status !== 401) {
      throw new Error(`GET /get-token without credentials answered ${anonymous.status} and with invalid ones ${wrong.status}; expected 401 for both`);
    }
    return `no credentials and invalid ones (${options.authorization ? 'not an ID token' : 'a wrong secret'}) both get 401`;
  });

  return results;
}

function regionOf(token: string): string {
  try {
    const claims = decodeJwt(token);
    return typeof claims.ou_code === 'string' ? claims.ou_code : 'unknown';
  } catch {
    return 'unknown (not a JWT)';
  }
}

export function formatResults(results: CheckResult[]): string {
  const lines = results.map((r) => `${r.ok ? '✅' : '❌'} ${r.name}: ${r.detail}`);
  const passed = results.filter((r) => r.ok).length;
  lines.push(`${passed} passed, ${results.length - passed} failed`);
  return lines.join('\n');
}
