/**
 * What the TokenBroker can fail with. Each is a distinct type so the Worker maps it to an honest HTTP status
 * and the Scout to a clear log line. None ever carries a token.
 */

/** Tesla refused the refresh token (login_required / invalid_grant). Terminal until a new login or import. */
export class ReauthRequiredError extends Error {
  override readonly name = 'ReauthRequiredError';
  constructor(readonly account: string, readonly reason: string) {
    super(`account "${account}" needs a new Tesla login: ${reason}. Run "offpeak tokens import" with a fresh refresh token.`);
  }
}

/** The store holds no tokens for the account yet. */
export class NoTokensError extends Error {
  override readonly name = 'NoTokensError';
  constructor(readonly account: string) {
    super(`no Tesla tokens stored for account "${account}": run "offpeak tokens import --refresh-token -" first`);
  }
}

/** A recent refresh failed transiently; the broker waits before it asks Tesla again. */
export class RefreshBackoffError extends Error {
  override readonly name = 'RefreshBackoffError';
  constructor(readonly account: string, readonly retryAt: number, readonly lastError: string) {
    super(`token refresh for account "${account}" is backing off until ${new Date(retryAt).toISOString()} after: ${lastError}`);
  }
}

/** Another process holds the refresh lease and did not finish in time. */
export class RefreshBusyError extends Error {
  override readonly name = 'RefreshBusyError';
  constructor(readonly account: string, waitedMs: number) {
    super(`another process is refreshing the tokens of account "${account}" and did not finish within ${waitedMs} ms`);
  }
}

/**
 * Tesla rotated the tokens but the store could not save them. The new pair stays in this process's memory and
 * is written on the next attempt; it is not handed out until it is durable (token rule 2).
 */
export class PersistFailedError extends Error {
  override readonly name = 'PersistFailedError';
  constructor(readonly account: string, options?: { cause?: unknown }) {
    super(`Tesla issued new tokens for account "${account}" but the store could not save them; retrying`, options);
  }
}
