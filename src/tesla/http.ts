import {
  AccessTokenRejectedError,
  ForbiddenError,
  LoginRequiredError,
  RateLimitedError,
  TeslaError,
  TeslaUnavailableError,
  UnauthorizedClientError,
  UnexpectedResponseError,
  VehicleNotFoundError,
  VehicleUnavailableError,
  WrongRegionError,
} from './errors.js';

export type Fetch = typeof fetch;

export interface TeslaResponse {
  status: number;
  body: Record<string, unknown> | null;
  headers: Headers;
}

/**
 * Sends one request and turns network failures and timeouts into TeslaUnavailableError. The URL is never put
 * into messages with a query string that could hold a secret (Tesla URLs carry none; we still strip it).
 */
export async function send(fetchImpl: Fetch, url: string, init: RequestInit, timeoutMs: number): Promise<TeslaResponse> {
  let res: Response;
  try {
    res = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (cause) {
    const what = cause instanceof Error && cause.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'network error';
    throw new TeslaUnavailableError(`Tesla ${describe(init.method, url)}: ${what}`, 0, null, { cause });
  }
  const text = await res.text().catch(() => '');
  let body: Record<string, unknown> | null = null;
  if (text) {
    try {
      const parsed: unknown = JSON.parse(text);
      body = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : null;
    } catch {
      body = null;
    }
  }
  return { status: res.status, body, headers: res.headers };
}

export function describe(method: string | undefined, url: string): string {
  const u = new URL(url);
  return `${method ?? 'GET'} ${u.origin}${u.pathname}`;
}

/** Reads Retry-After (seconds or HTTP date) or RateLimit-Reset (seconds). */
export function retryAfterMs(headers: Headers, nowMs: number): number | null {
  const value = headers.get('retry-after') ?? headers.get('ratelimit-reset');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/** Maps a non-2xx answer of the token endpoint to its error type. */
export function oauthError(what: string, res: TeslaResponse, nowMs: number): TeslaError {
  const code = text(res.body?.error);
  const detail = text(res.body?.error_description) ?? code ?? 'no error body';
  const message = `${what}: HTTP ${res.status} ${detail}`;
  if (code === 'login_required' || code === 'invalid_grant') return new LoginRequiredError(message, res.status, code);
  if (code === 'unauthorized_client') return new UnauthorizedClientError(message, res.status, code);
  if (res.status === 429) return new RateLimitedError(message, res.status, code, retryAfterMs(res.headers, nowMs));
  if (res.status >= 500) return new TeslaUnavailableError(message, res.status, code);
  return new UnexpectedResponseError(message, res.status, code);
}

/** Maps a non-2xx answer of the Fleet API to its error type (TESLA.md "Fleet API"). */
export function fleetError(what: string, res: TeslaResponse, nowMs: number): TeslaError {
  const code = text(res.body?.error);
  const detail = [code, text(res.body?.error_description)].filter(Boolean).join(': ') || 'no error body';
  const message = `${what}: HTTP ${res.status} ${detail}`;
  switch (res.status) {
    case 401:
      return new AccessTokenRejectedError(message, res.status, code);
    case 403:
      return new ForbiddenError(message, res.status, code);
    case 404:
      return new VehicleNotFoundError(message, res.status, code);
    case 408:
      return new VehicleUnavailableError(message, res.status, code);
    case 421: {
      const hint = /https:\/\/[^\s"']+/.exec(detail)?.[0] ?? null;
      return new WrongRegionError(message, res.status, code, hint);
    }
    case 429:
      return new RateLimitedError(message, res.status, code, retryAfterMs(res.headers, nowMs));
  }
  if (res.status >= 500) return new TeslaUnavailableError(message, res.status, code);
  return new UnexpectedResponseError(message, res.status, code);
}
