import type { Fetch } from '../tesla/http.js';

/** How the Scout proves who it is to the Worker: a shared secret at home, a Google ID token on Cloud Run. */
export type AuthHeader = () => Promise<string>;

export const bearerSecret =
  (secret: string): AuthHeader =>
  async () =>
    `Bearer ${secret}`;

export interface WorkerToken {
  accessToken: string;
  /** Epoch ms. */
  expiresAt: number;
  remainingMinutes: number;
  refreshed?: boolean;
}

/** The Worker answered, but not with a token: carries the Worker's status and error code. */
export class WorkerRefusedError extends Error {
  override readonly name = 'WorkerRefusedError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The Worker could not be reached at all (connection refused, DNS, timeout). */
export class WorkerUnreachableError extends Error {
  override readonly name = 'WorkerUnreachableError';
}

export interface WorkerClientOptions {
  baseUrl: string;
  auth: AuthHeader;
  fetch?: Fetch;
  /** Short: the Scout has a fallback and must not hang when the Worker is down. */
  timeoutMs?: number;
}

/** The Scout's view of the Worker's HTTP API. */
export class WorkerClient {
  private readonly fetch: Fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: WorkerClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** `GET /get-token` (`get_token_from_worker` in the original). */
  async getToken(): Promise<WorkerToken> {
    return toToken(await this.call('GET', '/get-token'));
  }

  /** `POST /refresh-tokens`: asks the owner of the tokens to refresh; the Scout never refreshes itself. */
  async refreshTokens(body: { force?: boolean; reason?: string } = {}): Promise<WorkerToken> {
    return toToken(await this.call('POST', '/refresh-tokens', body));
  }

  /**
   * `POST /run-cycle` for one car (the Scout's trigger). Longer timeout than the token calls: the Worker may
   * have to wake the car and wait for it.
   */
  async runCycle(body: { vin?: string; reason?: string }, timeoutMs = 120_000): Promise<Record<string, unknown>> {
    return this.call('POST', '/run-cycle', body, timeoutMs);
  }

  async call(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<Record<string, unknown>> {
    const url = new URL(path, this.options.baseUrl).toString();
    const headers: Record<string, string> = { authorization: await this.options.auth(), accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      const why = cause instanceof Error && cause.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : causeText(cause);
      throw new WorkerUnreachableError(`Worker ${method} ${path} unreachable: ${why}`, { cause });
    }
    const parsed = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    if (!res.ok) {
      const code = typeof parsed?.error === 'string' ? parsed.error : `http_${res.status}`;
      const detail = typeof parsed?.message === 'string' ? parsed.message : res.statusText;
      throw new WorkerRefusedError(res.status, code, `Worker ${method} ${path} answered ${res.status} ${code}: ${detail}`);
    }
    if (!parsed) throw new WorkerRefusedError(res.status, 'malformed_answer', `Worker ${method} ${path} answered ${res.status} without JSON`);
    return parsed;
  }
}

function toToken(body: Record<string, unknown>): WorkerToken {
  const expiresAt = typeof body.expires_at === 'string' ? Date.parse(body.expires_at) : NaN;
  if (typeof body.access_token !== 'string' || Number.isNaN(expiresAt) || typeof body.remaining_minutes !== 'number') {
    throw new WorkerRefusedError(200, 'malformed_answer', 'Worker answered without access_token, expires_at and remaining_minutes');
  }
  return {
    accessToken: body.access_token,
    expiresAt,
    remainingMinutes: body.remaining_minutes,
    ...(typeof body.refreshed === 'boolean' ? { refreshed: body.refreshed } : {}),
  };
}

function causeText(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = (cause as Error & { cause?: { code?: string } }).cause;
  return inner?.code ? `${cause.message} (${inner.code})` : cause.message;
}
