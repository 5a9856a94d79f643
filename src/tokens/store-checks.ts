import { StoreCorruptError, type TokenSet, type TokenStatus, type TokenWrite } from './store.js';

/**
 * Input checks and record parsing shared by the store backends. Kept apart from every backend so that none
 * of them loads another's database client. Messages never quote stored content.
 */

/** Parses decrypted TokenSet JSON; any deviation is corruption (the message never quotes the content). */
export function parseTokenSet(text: string, label: string): TokenSet {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StoreCorruptError(`${label} decrypted but does not hold valid JSON`);
  }
  if (!isTokenSet(value)) throw new StoreCorruptError(`${label} decrypted but is not a token set`);
  return {
    refreshToken: value.refreshToken,
    accessToken: value.accessToken,
    accessExpiresAt: value.accessExpiresAt,
    accessIssuedAt: value.accessIssuedAt,
  };
}

export function isTokenSet(value: unknown): value is TokenSet {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const numOrNull = (x: unknown) => x === null || (typeof x === 'number' && Number.isFinite(x));
  return (
    typeof v.refreshToken === 'string' &&
    (v.accessToken === null || typeof v.accessToken === 'string') &&
    numOrNull(v.accessExpiresAt) &&
    numOrNull(v.accessIssuedAt)
  );
}

/** Validates a write before anything is sent (a malformed record would be unreadable later). */
export function checkWrite(write: TokenWrite): { tokens: TokenSet; status: TokenStatus; statusReason: string | null } {
  const reason = write?.statusReason ?? null;
  if (
    !isTokenSet(write?.tokens) ||
    (write.status !== 'ok' && write.status !== 'reauth_required') ||
    (reason !== null && typeof reason !== 'string')
  ) {
    throw new TypeError('put: write must be {tokens: TokenSet, status, statusReason?}');
  }
  const t = write.tokens;
  return {
    tokens: {
      refreshToken: t.refreshToken,
      accessToken: t.accessToken,
      accessExpiresAt: t.accessExpiresAt,
      accessIssuedAt: t.accessIssuedAt,
    },
    status: write.status,
    statusReason: reason,
  };
}

export function name(what: string, value: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${what} must be a non-empty string`);
  return value;
}

export function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < 0) throw new RangeError('expectedVersion must be an integer >= 0');
}
