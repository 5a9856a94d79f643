/**
 * The one place remote price sources call `fetch`: a timeout, and every failure turned into a TariffSourceError
 * whose message never contains the URL's secrets (ENTSO-E takes its key as a query parameter).
 */
import { TariffSourceError } from './errors.js';
import type { FetchLike } from './types.js';

export interface HttpAnswer {
  status: number;
  text: string;
  headers: Headers;
}

export const DEFAULT_TIMEOUT_MS = 15_000;

/** GET (or the given init) and read the body as text. Network errors and timeouts become status 0 errors. */
export async function fetchText(
  fetch: FetchLike,
  url: string,
  source: string,
  init: RequestInit = {},
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<HttpAnswer> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const reason = (err as Error)?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err as Error)?.message;
    throw new TariffSourceError(source, `request failed: ${reason ?? String(err)}`, 0, { cause: err });
  }
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw new TariffSourceError(source, `reading the answer failed: ${(err as Error).message}`, response.status, { cause: err });
  }
  return { status: response.status, text, headers: response.headers };
}

/** A short, single-line excerpt of an answer body for error messages. */
export function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
