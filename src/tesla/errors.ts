/**
 * One error type per Tesla failure mode (TESLA.md), so callers decide by type, never by parsing messages.
 * No error message ever contains a token.
 */

export class TeslaError extends Error {
  override name = 'TeslaError';
  constructor(
    message: string,
    /** HTTP status, or 0 when no answer arrived. */
    readonly status: number,
    /** Tesla's `error` field, when it gave one. */
    readonly code: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  /** Worth retrying later with the same input (network, 5xx, 429). */
  get transient(): boolean {
    return false;
  }
}

/** The refresh token is spent, expired or revoked (401 login_required, or invalid_grant). Terminal: re-login. */
export class LoginRequiredError extends TeslaError {
  override name = 'LoginRequiredError';
}

/** 400 unauthorized_client: the client id is unknown to Tesla. A configuration error, not retried. */
export class UnauthorizedClientError extends TeslaError {
  override name = 'UnauthorizedClientError';
}

/** 401 from the Fleet API: access token expired, revoked or not accepted. Get a fresh token, retry once. */
export class AccessTokenRejectedError extends TeslaError {
  override name = 'AccessTokenRejectedError';
}

/** 403: a scope is missing, or the car requires signed commands. */
export class ForbiddenError extends TeslaError {
  override name = 'ForbiddenError';
}

/** 404: the vehicle is not on this account. */
export class VehicleNotFoundError extends TeslaError {
  override name = 'VehicleNotFoundError';
}

/** 408 "vehicle unavailable": the car is asleep or offline. Billed all the same. */
export class VehicleUnavailableError extends TeslaError {
  override name = 'VehicleUnavailableError';
}

/** 421: the account lives in another region; `correctBaseUrl` is Tesla's hint when it gave one. */
export class WrongRegionError extends TeslaError {
  override name = 'WrongRegionError';
  constructor(
    message: string,
    status: number,
    code: string | null,
    readonly correctBaseUrl: string | null,
  ) {
    super(message, status, code);
  }
}

/** 429: slow down; `retryAfterMs` from Retry-After / RateLimit-Reset when present. */
export class RateLimitedError extends TeslaError {
  override name = 'RateLimitedError';
  constructor(
    message: string,
    status: number,
    code: string | null,
    readonly retryAfterMs: number | null,
  ) {
    super(message, status, code);
  }
  override get transient(): boolean {
    return true;
  }
}

/** Network failure, timeout or 5xx: Tesla is not answering properly right now. */
export class TeslaUnavailableError extends TeslaError {
  override name = 'TeslaUnavailableError';
  override get transient(): boolean {
    return true;
  }
}

/** Any other answer the client does not understand (a 4xx it has no type for, a malformed body). */
export class UnexpectedResponseError extends TeslaError {
  override name = 'UnexpectedResponseError';
}

/**
 * A command reached the car (HTTP 200) but the car refused it: `result:false` with a reason such as
 * "is_charging" or "car could not execute command: not_found". Counting such an answer as success was a real
 * bug of the original system, so it is an error here, and callers decide which reasons they accept.
 */
export class CommandFailedError extends TeslaError {
  override name = 'CommandFailedError';
  constructor(
    readonly command: string,
    /** The car's reason as Tesla gave it (may carry the proxy's "car could not execute command: " prefix). */
    readonly reason: string,
  ) {
    super(`Tesla command ${command} refused by the car: ${reason || 'no reason given'}`, 200, 'command_failed');
  }
  /** The reason without the signing proxy's prefix, lower case: "not_found", "is_charging", … */
  get reasonCode(): string {
    return this.reason.replace(/^.*command:\s*/i, '').trim().toLowerCase();
  }
}
