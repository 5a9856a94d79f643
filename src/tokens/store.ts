/**
 * The TokenStore: where the Tesla tokens of each account live, shared by every process of one installation.
 *
 * Two mechanisms make it safe for several processes (SYSTEM.md "Token rules" 2 and 3):
 * - every record carries a version, and writes are compare-and-swap on it;
 * - a refresh lease (holder + expiry) lets exactly one process spend a refresh token at a time; a lease that
 *   was not released (its holder crashed) stops counting once it expires.
 *
 * Reads never take locks, so a Scout can read the current access token without disturbing the Worker.
 * Every backend (file, PostgreSQL, Firestore) passes the same contract suite in test/store/contract.ts.
 */

export type TokenStatus = 'ok' | 'reauth_required';

export interface TokenSet {
  refreshToken: string;
  accessToken: string | null;
  /** Epoch ms at which the access token expires. */
  accessExpiresAt: number | null;
  /** Epoch ms at which the access token was issued (to refresh at a fraction of its life). */
  accessIssuedAt: number | null;
}

export interface TokenRecord {
  account: string;
  /** 1 for the first write, +1 for each successful write after it. */
  version: number;
  tokens: TokenSet;
  status: TokenStatus;
  /** Why the status is what it is, for humans (never a token). */
  statusReason: string | null;
  /** Epoch ms of the last write. */
  updatedAt: number;
}

/** What a caller writes: the store assigns account, version and updatedAt. */
export interface TokenWrite {
  tokens: TokenSet;
  status: TokenStatus;
  statusReason?: string | null;
}

export interface Lease {
  account: string;
  holder: string;
  /** Epoch ms; after this the lease no longer counts. */
  expiresAt: number;
}

/** A versioned JSON document beside the tokens (vehicle state, plans), so Scout and Worker share one truth. */
export interface StateDoc<T = unknown> {
  version: number;
  value: T;
  updatedAt: number;
}

export interface TokenStore {
  /** Backend name for status output, e.g. "file". Never contains a secret. */
  readonly kind: string;

  get(account: string): Promise<TokenRecord | null>;

  /**
   * Compare-and-swap write. `expectedVersion` is the version the caller read (0 when it expects no record).
   * Resolves with the stored record only once it is durable (fsync / commit). Rejects with
   * VersionConflictError when the stored version differs; nothing is written then.
   */
  put(account: string, write: TokenWrite, expectedVersion: number): Promise<TokenRecord>;

  /**
   * Takes the refresh lease for `ttlMs` when nobody holds a live one (or `holder` already does: then it is
   * extended). Resolves with the lease, or null when another holder's lease is still live.
   */
  acquireLease(account: string, holder: string, ttlMs: number): Promise<Lease | null>;

  /** Gives the lease up if `holder` still holds it; a no-op otherwise. */
  releaseLease(account: string, holder: string): Promise<void>;

  /** The live lease of an account, or null. */
  getLease(account: string): Promise<Lease | null>;

  listAccounts(): Promise<string[]>;

  getState<T>(key: string): Promise<StateDoc<T> | null>;
  /** Compare-and-swap like `put`; `expectedVersion` 0 means "must not exist yet". */
  putState<T>(key: string, value: T, expectedVersion: number): Promise<StateDoc<T>>;

  close(): Promise<void>;
}

export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
  constructor(
    readonly key: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(`store record "${key}" is at version ${actualVersion}, not ${expectedVersion}: someone else wrote it first`);
  }
}

/** The store cannot be read or written (I/O error, database down). Transient from the caller's view. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The store's content cannot be decrypted or parsed: wrong key or a damaged file. Not retried. */
export class StoreCorruptError extends Error {
  override readonly name = 'StoreCorruptError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
