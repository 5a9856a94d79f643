/**
 * Typed failures of the OFF PEAK CHARGE API. Every failure is an error the caller handles (normally with the
 * safe fallback plan); none is ever turned into "charge now" or "charge full". Messages never hold the API key.
 */

export type OffPeakApiErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'method_not_allowed'
  | 'rate_limited'
  | 'server_error'
  | 'http_error'
  | 'rejected'
  | 'invalid_response'
  | 'network'
  | 'budget_exhausted';

export class OffPeakApiError extends Error {
  override name = 'OffPeakApiError';
  constructor(
    readonly kind: OffPeakApiErrorKind,
    message: string,
    /** HTTP status, or 0 when no answer arrived (network, local budget). */
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(`OFF PEAK CHARGE API: ${message}`, options);
  }
  /** Worth asking again later (not before the next UTC day for the budget). */
  get transient(): boolean {
    return this.kind === 'network' || this.kind === 'server_error' || this.kind === 'rate_limited';
  }
}

/** 400: the request body was refused; `detail` is the service's explanation. */
export class OffPeakApiBadRequestError extends OffPeakApiError {
  override name = 'OffPeakApiBadRequestError';
}
/** 401: the API key was refused. */
export class OffPeakApiUnauthorizedError extends OffPeakApiError {
  override name = 'OffPeakApiUnauthorizedError';
}
/** 405: wrong method or URL (the API takes POST at its calculate address). */
export class OffPeakApiMethodNotAllowedError extends OffPeakApiError {
  override name = 'OffPeakApiMethodNotAllowedError';
}
/** 429: the service's own limit; `retryAfterSeconds` when it said. */
export class OffPeakApiRateLimitedError extends OffPeakApiError {
  override name = 'OffPeakApiRateLimitedError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number | null,
  ) {
    super('rate_limited', message, 429);
  }
}
/** 500 and other 5xx. */
export class OffPeakApiServerError extends OffPeakApiError {
  override name = 'OffPeakApiServerError';
}
/** An answer that is not the documented shape, or says success:false. */
export class OffPeakApiInvalidResponseError extends OffPeakApiError {
  override name = 'OffPeakApiInvalidResponseError';
}
/** No answer at all: DNS, connection, timeout. */
export class OffPeakApiNetworkError extends OffPeakApiError {
  override name = 'OffPeakApiNetworkError';
}
/** Our own guard: the day's calls for this key are spent (30 per UTC day); no request was sent. */
export class OffPeakApiBudgetExhaustedError extends OffPeakApiError {
  override name = 'OffPeakApiBudgetExhaustedError';
}
