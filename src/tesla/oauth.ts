import { decodeJwt } from 'jose';
import { systemClock, type Clock } from '../core/clock.js';
import { UnexpectedResponseError } from './errors.js';
import { oauthError, send, type Fetch } from './http.js';

/** What Tesla's token endpoint answers on success. */
export interface TeslaTokenResponse {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms, computed from expires_in at the moment the answer arrived. */
  accessExpiresAt: number;
  accessIssuedAt: number;
}

export interface TeslaOAuthOptions {
  /** e.g. https://fleet-auth.prd.vn.cloud.tesla.com (the path /oauth2/v3/token is appended). */
  authUrl: string;
  clientId: string;
  fetch?: Fetch;
  clock?: Clock;
  timeoutMs?: number;
}

/**
 * Tesla's OAuth token endpoint. Only the TokenBroker calls `refresh` (token rule 1): every successful call
 * retires the refresh token it was given.
 */
export class TeslaOAuthClient {
  private readonly fetch: Fetch;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  readonly tokenUrl: string;

  constructor(private readonly options: TeslaOAuthOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.tokenUrl = new URL('/oauth2/v3/token', options.authUrl).toString();
  }

  /**
   * Spends `refreshToken` for a new pair. Throws LoginRequiredError (terminal), UnauthorizedClientError
   * (configuration), RateLimitedError / TeslaUnavailableError (transient) or UnexpectedResponseError.
   */
  async refresh(refreshToken: string): Promise<TeslaTokenResponse> {
    return this.grant({ grant_type: 'refresh_token', client_id: this.options.clientId, refresh_token: refreshToken });
  }

  /** Exchanges an authorization code (first login, PKCE or confidential client). */
  async exchangeCode(params: {
    code: string;
    redirectUri: string;
    audience: string;
    codeVerifier?: string;
    clientSecret?: string;
  }): Promise<TeslaTokenResponse> {
    const form: Record<string, string> = {
      grant_type: 'authorization_code',
      client_id: this.options.clientId,
      code: params.code,
      redirect_uri: params.redirectUri,
      audience: params.audience,
    };
    if (params.codeVerifier) form.code_verifier = params.codeVerifier;
    if (params.clientSecret) form.client_secret = params.clientSecret;
    return this.grant(form);
  }

  private async grant(form: Record<string, string>): Promise<TeslaTokenResponse> {
    const what = `Tesla token endpoint (${form.grant_type})`;
    const res = await send(
      this.fetch,
      this.tokenUrl,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(form).toString(),
      },
      this.timeoutMs,
    );
    const now = this.clock.now();
    if (res.status < 200 || res.status >= 300) throw oauthError(what, res, now);
    const body = res.body ?? {};
    const { access_token, refresh_token, expires_in } = body;
    if (typeof access_token !== 'string' || typeof refresh_token !== 'string' || typeof expires_in !== 'number') {
      throw new UnexpectedResponseError(
        `${what}: HTTP ${res.status} without access_token, refresh_token and a numeric expires_in`,
        res.status,
      );
    }
    return {
      accessToken: access_token,
      refreshToken: refresh_token,
      accessIssuedAt: now,
      accessExpiresAt: Math.min(now + expires_in * 1000, jwtExpiry(access_token) ?? Infinity),
    };
  }
}

/**
 * The access token's own `exp` claim (whole seconds) can be up to a second earlier than "now + expires_in";
 * the earlier of the two is the truth. The signature is not checked: this only reads a date.
 */
function jwtExpiry(accessToken: string): number | null {
  try {
    const { exp } = decodeJwt(accessToken);
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
}
