import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { sleep, systemClock, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import { LoginRequiredError, RateLimitedError, TeslaError, UnauthorizedClientError } from '../tesla/errors.js';
import type { TeslaTokenResponse } from '../tesla/oauth.js';
import {
  NoTokensError,
  PersistFailedError,
  ReauthRequiredError,
  RefreshBackoffError,
  RefreshBusyError,
} from './errors.js';
import { StoreUnavailableError, VersionConflictError, type TokenRecord, type TokenSet, type TokenStore } from './store.js';

/** The one capability the broker needs from Tesla: spending a refresh token. */
export interface RefreshGrant {
  refresh(refreshToken: string): Promise<TeslaTokenResponse>;
}

export interface AccessToken {
  accessToken: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** A token from `refresh`: `refreshed` is false when the stored token was still fresh and nothing was done. */
export interface RefreshOutcome extends AccessToken {
  refreshed: boolean;
}

export type TokenHealth = 'ok' | 'expiring' | 'expired' | 'reauth_required' | 'missing';

/** What `/health` and `/worker-status` show: never a secret. */
export interface TokenStatusReport {
  account: string;
  state: TokenHealth;
  expiresAt: string | null;
  remainingMinutes: number | null;
  refreshDueAt: string | null;
  storeVersion: number | null;
  reason: string | null;
  refreshesByThisProcess: number;
  lastRefreshAt: string | null;
  lastError: string | null;
  backoffUntil: string | null;
  unsavedTokens: boolean;
}

export interface TokenBrokerOptions {
  store: TokenStore;
  tesla: RefreshGrant;
  clock?: Clock;
  logger?: Logger;
  /** Identifies this process in leases; unique per process. */
  holderId?: string;
  /** Refresh once this fraction of the access token's life has passed (token rule 4). */
  refreshAtFraction?: number;
  /** How long a refresh lease lives; must comfortably exceed the token endpoint timeout. */
  leaseTtlMs?: number;
  /** How long to wait for another process's refresh before giving up. */
  peerWaitMs?: number;
  /** How long a read of the store is reused before the store is read again. */
  cacheTtlMs?: number;
  /** A forced refresh (the caller saw Tesla reject the token) is honoured at most this often. */
  minForcedIntervalMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

interface Backoff {
  attempts: number;
  until: number;
  lastError: string;
}

interface Unsaved {
  tokens: TokenSet;
  baseVersion: number;
}

/**
 * The only code that spends Tesla refresh tokens (token rule 1).
 *
 * - Serves the stored access token until it is due (a fraction of its life), then refreshes (rule 4).
 * - One refresh per account at a time: in this process by sharing one promise, across processes by the
 *   store's lease plus a version compare-and-swap (rule 3). A process that loses the race waits for and
 *   reads the winner's result.
 * - The rotated pair is written to the store before anyone gets the new access token; if that write fails
 *   the pair is kept here and written on the next attempt (rule 2). Every new access token is written even
 *   when the refresh token did not change (rule 7).
 * - login_required is terminal: the account is marked reauth_required and no further refresh is tried (rule 5).
 *   Transient failures back off exponentially, honouring Retry-After.
 */
export class TokenBroker {
  private readonly store: TokenStore;
  private readonly tesla: RefreshGrant;
  private readonly clock: Clock;
  private readonly log: Logger;
  readonly holderId: string;
  private readonly refreshAtFraction: number;
  private readonly leaseTtlMs: number;
  private readonly peerWaitMs: number;
  private readonly cacheTtlMs: number;
  private readonly minForcedIntervalMs: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;

  private readonly cache = new Map<string, { record: TokenRecord | null; readAt: number }>();
  private readonly inflight = new Map<string, Promise<RefreshOutcome>>();
  private readonly reading = new Map<string, Promise<TokenRecord | null>>();
  private readonly backoff = new Map<string, Backoff>();
  private readonly unsaved = new Map<string, Unsaved>();
  private readonly refreshes = new Map<string, { count: number; lastAt: number }>();

  constructor(options: TokenBrokerOptions) {
    this.store = options.store;
    this.tesla = options.tesla;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
    this.holderId = options.holderId ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.refreshAtFraction = options.refreshAtFraction ?? 0.75;
    this.leaseTtlMs = options.leaseTtlMs ?? 60_000;
    this.peerWaitMs = options.peerWaitMs ?? 20_000;
    this.cacheTtlMs = options.cacheTtlMs ?? 1_000;
    this.minForcedIntervalMs = options.minForcedIntervalMs ?? 60_000;
    this.backoffBaseMs = options.backoffBaseMs ?? 2_000;
    this.backoffMaxMs = options.backoffMaxMs ?? 5 * 60_000;
  }

  /**
   * A valid access token for `account`: the stored one while it is fresh, otherwise a refreshed one. When a
   * refresh fails transiently but the current token is still valid, the current token is served.
   */
  async getAccessToken(account: string): Promise<AccessToken> {
    const ready = this.peekAccessToken(account);
    if (ready) return ready;
    const record = await this.read(account);
    const current = this.usable(record);
    if (current && !this.isDue(record!)) return current;
    try {
      return await this.refresh(account);
    } catch (error) {
      if (current && isTransient(error)) {
        this.log.warn({ event: 'refresh_deferred', account, error: message(error) }, 'token refresh failed, serving the current token while it is valid');
        return current;
      }
      throw error;
    }
  }

  /**
   * The token `getAccessToken` would answer with at once, without any I/O: from a store read less than the
   * cache interval ago, valid and not yet due. Null whenever `getAccessToken` has work to do (read the store,
   * refresh); it never serves what `getAccessToken` would not.
   */
  peekAccessToken(account: string): AccessToken | null {
    const cached = this.cache.get(account);
    if (!cached?.record || this.clock.now() - cached.readAt >= this.cacheTtlMs) return null;
    const current = this.usable(cached.record);
    return current && !this.isDue(cached.record) ? current : null;
  }

  /**
   * Refreshes now unless another refresh already made a fresh token. `force` is for a caller that saw Tesla
   * reject a token that looked valid (revoked): it refreshes even a fresh token, at most once per interval.
   */
  refresh(account: string, options: { force?: boolean } = {}): Promise<RefreshOutcome> {
    const running = this.inflight.get(account);
    if (running) return running;
    const promise = this.refreshOnce(account, options.force ?? false)
      // Every path but "still fresh" hands back a newly obtained token (ours, or a peer's we waited for).
      .then((token) => ({ refreshed: true, ...token }))
      .finally(() => this.inflight.delete(account));
    this.inflight.set(account, promise);
    return promise;
  }

  /** Refreshes the token of each account that is due; for the Worker's background timer. Never throws. */
  async keepFresh(accounts: string[]): Promise<void> {
    for (const account of accounts) {
      try {
        const record = await this.read(account);
        if (!record || record.status !== 'ok') continue;
        if (this.unsaved.has(account) || this.isDue(record)) await this.refresh(account);
      } catch (error) {
        if (!(error instanceof RefreshBackoffError || error instanceof ReauthRequiredError)) {
          this.log.warn({ event: 'keep_fresh_failed', account, error: message(error) }, 'background token refresh failed');
        }
      }
    }
  }

  async status(account: string): Promise<TokenStatusReport> {
    const record = await this.read(account, { fresh: true }).catch(() => this.cache.get(account)?.record ?? null);
    const now = this.clock.now();
    const backoff = this.backoff.get(account);
    const stats = this.refreshes.get(account);
    const expiresAt = record?.tokens.accessExpiresAt ?? null;
    let state: TokenHealth;
    if (!record) state = 'missing';
    else if (record.status === 'reauth_required') state = 'reauth_required';
    else if (!this.usable(record)) state = 'expired';
    else state = this.isDue(record) ? 'expiring' : 'ok';
    return {
      account,
      state,
      expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
      remainingMinutes: expiresAt === null ? null : Math.max(0, Math.floor((expiresAt - now) / 60_000)),
      refreshDueAt: record ? iso(this.dueAt(record)) : null,
      storeVersion: record?.version ?? null,
      reason: record?.statusReason ?? null,
      refreshesByThisProcess: stats?.count ?? 0,
      lastRefreshAt: stats ? iso(stats.lastAt) : null,
      lastError: backoff?.lastError ?? null,
      backoffUntil: backoff && backoff.until > now ? iso(backoff.until) : null,
      unsavedTokens: this.unsaved.has(account),
    };
  }

  // --- the refresh protocol -------------------------------------------------------------------------------

  private async refreshOnce(account: string, force: boolean): Promise<AccessToken | RefreshOutcome> {
    const unsaved = this.unsaved.get(account);
    if (unsaved) return this.saveUnsaved(account, unsaved);

    const backoff = this.backoff.get(account);
    if (backoff && this.clock.now() < backoff.until) {
      throw new RefreshBackoffError(account, backoff.until, backoff.lastError);
    }

    const deadline = Date.now() + this.peerWaitMs;
    for (;;) {
      const lease = await this.store.acquireLease(account, this.holderId, this.leaseTtlMs);
      if (lease) break;
      // Another process is refreshing: wait for its result instead of spending the same refresh token.
      const seen = (await this.read(account, { fresh: true }))?.version ?? 0;
      const winner = await this.waitForPeer(account, seen, deadline);
      if (winner) return winner;
      if (Date.now() >= deadline) throw new RefreshBusyError(account, this.peerWaitMs);
    }

    let keepLease = false;
    try {
      // Read again under the lease: a peer may have refreshed between our decision and the lease.
      const record = await this.read(account, { fresh: true });
      if (!record) throw new NoTokensError(account);
      if (record.status === 'reauth_required') throw new ReauthRequiredError(account, record.statusReason ?? 'refresh token rejected');
      const current = this.usable(record);
      if (current && !this.isDue(record) && !(force && this.forcedRefreshAllowed(account))) return { ...current, refreshed: false };

      let issued: TeslaTokenResponse;
      // Renew the lease while Tesla answers: it must only ever expire because its holder died, never
      // because Tesla was slow (a peer would then spend the token Tesla is rotating for us).
      const heartbeat = setInterval(() => {
        void this.store.acquireLease(account, this.holderId, this.leaseTtlMs).catch(() => undefined);
      }, Math.max(50, this.leaseTtlMs / 3));
      try {
        issued = await this.tesla.refresh(record.tokens.refreshToken);
      } catch (error) {
        if (error instanceof LoginRequiredError) return await this.markReauth(account, record, error);
        this.noteFailure(account, error);
        throw error;
      } finally {
        clearInterval(heartbeat);
      }

      const tokens: TokenSet = {
        refreshToken: issued.refreshToken,
        accessToken: issued.accessToken,
        accessExpiresAt: issued.accessExpiresAt,
        accessIssuedAt: issued.accessIssuedAt,
      };
      this.countRefresh(account);
      try {
        return await this.persist(account, tokens, record.version);
      } catch (error) {
        // Tesla has rotated: the old refresh token is spent. Keep the lease so no peer spends it as well,
        // keep the pair in memory, and write it on the next attempt (token rule 2).
        keepLease = true;
        this.unsaved.set(account, { tokens, baseVersion: record.version });
        this.log.error({ event: 'persist_failed', account, error: message(error) }, 'new Tesla tokens could not be saved; kept in memory, retrying');
        throw new PersistFailedError(account, { cause: error });
      }
    } finally {
      if (!keepLease) await this.store.releaseLease(account, this.holderId).catch(() => undefined);
    }
  }

  private async persist(account: string, tokens: TokenSet, baseVersion: number): Promise<AccessToken> {
    let record: TokenRecord;
    try {
      record = await this.store.put(account, { tokens, status: 'ok', statusReason: null }, baseVersion);
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      // Someone wrote while we refreshed (our lease must have expired). Tesla's latest token is whichever
      // was issued last, so keep the newer of the two pairs.
      const stored = await this.read(account, { fresh: true });
      if (stored && (stored.tokens.accessIssuedAt ?? 0) >= (tokens.accessIssuedAt ?? 0)) {
        this.log.warn({ event: 'refresh_superseded', account }, 'a peer saved newer tokens while this process refreshed; using those');
        const token = this.usable(stored);
        if (token) return token;
      }
      record = await this.store.put(account, { tokens, status: 'ok', statusReason: null }, stored?.version ?? 0);
    }
    this.cache.set(account, { record, readAt: this.clock.now() });
    this.unsaved.delete(account);
    this.backoff.delete(account);
    const minutes = Math.floor((tokens.accessExpiresAt! - this.clock.now()) / 60_000);
    this.log.info({ event: 'refresh_done', account, version: record.version, validMinutes: minutes }, `Tesla tokens refreshed and saved (valid ${minutes} min)`);
    return { accessToken: tokens.accessToken!, expiresAt: tokens.accessExpiresAt! };
  }

  private async saveUnsaved(account: string, unsaved: Unsaved): Promise<AccessToken> {
    // Re-take (or extend) the lease we kept; if a peer took it after ours expired, the version check decides.
    await this.store.acquireLease(account, this.holderId, this.leaseTtlMs).catch(() => null);
    try {
      const token = await this.persist(account, unsaved.tokens, unsaved.baseVersion);
      await this.store.releaseLease(account, this.holderId).catch(() => undefined);
      return token;
    } catch (error) {
      throw new PersistFailedError(account, { cause: error });
    }
  }

  private async markReauth(account: string, record: TokenRecord, error: LoginRequiredError): Promise<AccessToken> {
    // A peer may have rotated the token a moment ago (e.g. after our lease expired): then it is not terminal.
    const latest = await this.read(account, { fresh: true });
    if (latest && latest.version !== record.version && latest.status === 'ok') {
      const token = this.usable(latest);
      if (token) return token;
      throw new RefreshBusyError(account, 0);
    }
    // Nor is it terminal when our lease was lost: the new holder may be rotating this very token.
    const lease = await this.store.getLease(account);
    if (lease && lease.holder !== this.holderId) throw new RefreshBusyError(account, 0);
    const reason = `Tesla answered ${error.code ?? 'login_required'} to the stored refresh token`;
    try {
      const marked = await this.store.put(account, { tokens: record.tokens, status: 'reauth_required', statusReason: reason }, record.version);
      this.cache.set(account, { record: marked, readAt: this.clock.now() });
    } catch (writeError) {
      this.log.error({ event: 'reauth_mark_failed', account, error: message(writeError) }, 'could not record reauth_required in the store');
    }
    this.log.error({ event: 'reauth_required', account }, `REAUTH REQUIRED for account "${account}": ${reason}; no further refresh will be tried until new tokens are imported`);
    throw new ReauthRequiredError(account, reason);
  }

  private noteFailure(account: string, error: unknown): void {
    const previous = this.backoff.get(account);
    const attempts = (previous?.attempts ?? 0) + 1;
    const exponential = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (attempts - 1));
    let delay = exponential / 2 + Math.random() * (exponential / 2);
    if (error instanceof RateLimitedError && error.retryAfterMs !== null) delay = Math.max(delay, error.retryAfterMs);
    if (error instanceof UnauthorizedClientError) delay = this.backoffMaxMs;
    const until = this.clock.now() + delay;
    this.backoff.set(account, { attempts, until, lastError: message(error) });
    this.log.warn({ event: 'refresh_failed', account, attempts, retryInMs: Math.round(delay), error: message(error) }, 'Tesla token refresh failed, backing off');
  }

  private async waitForPeer(account: string, seenVersion: number, deadline: number): Promise<AccessToken | null> {
    while (Date.now() < deadline) {
      await sleep(50 + Math.random() * 100);
      const record = await this.read(account, { fresh: true });
      if (record?.status === 'reauth_required') throw new ReauthRequiredError(account, record.statusReason ?? 'refresh token rejected');
      if (record && record.version !== seenVersion) {
        const token = this.usable(record);
        if (token && !this.isDue(record)) return token;
      }
      if (!(await this.store.getLease(account))) return null;
    }
    return null;
  }

  // --- small helpers --------------------------------------------------------------------------------------

  private async read(account: string, options: { fresh?: boolean } = {}): Promise<TokenRecord | null> {
    const cached = this.cache.get(account);
    const now = this.clock.now();
    if (!options.fresh && cached && now - cached.readAt < this.cacheTtlMs) return cached.record;
    let record: TokenRecord | null;
    try {
      record = await (options.fresh ? this.store.get(account) : this.sharedRead(account));
    } catch (error) {
      // A store that cannot be read right now does not make the token we already hold less valid.
      if (options.fresh || !cached || !(error instanceof StoreUnavailableError)) throw error;
      this.log.warn({ event: 'store_read_failed', account, error: message(error) }, 'token store unreadable; using the token read before');
      return cached.record;
    }
    this.cache.set(account, { record, readAt: now });
    return record;
  }

  /**
   * One store read per account at a time for cache fills: when the cache lapses under a burst of requests,
   * they all wait for the same read instead of each reading and decrypting the record. Reads that must be
   * fresh (the refresh protocol, status) never join one that started before them.
   */
  private sharedRead(account: string): Promise<TokenRecord | null> {
    let pending = this.reading.get(account);
    if (!pending) {
      pending = this.store.get(account).finally(() => this.reading.delete(account));
      this.reading.set(account, pending);
    }
    return pending;
  }

  /** The access token when it is present and not too close to its end to be handed out. */
  private usable(record: TokenRecord | null): AccessToken | null {
    if (!record || record.status !== 'ok') return null;
    const { accessToken, accessExpiresAt } = record.tokens;
    if (!accessToken || accessExpiresAt === null) return null;
    if (accessExpiresAt - this.clock.now() <= this.minValidityMs(record)) return null;
    return { accessToken, expiresAt: accessExpiresAt };
  }

  /** A token handed out must stay valid for a while after it leaves: 60 s, or a tenth of a short life. */
  private minValidityMs(record: TokenRecord): number {
    const { accessIssuedAt, accessExpiresAt } = record.tokens;
    const life = accessIssuedAt !== null && accessExpiresAt !== null ? accessExpiresAt - accessIssuedAt : 8 * 3600_000;
    return Math.min(60_000, life / 10);
  }

  private dueAt(record: TokenRecord): number {
    const { accessIssuedAt, accessExpiresAt } = record.tokens;
    if (accessExpiresAt === null) return 0;
    // An imported token of unknown age: assume Tesla's 8-hour life.
    const issued = accessIssuedAt ?? accessExpiresAt - 8 * 3600_000;
    return issued + (accessExpiresAt - issued) * this.refreshAtFraction;
  }

  private isDue(record: TokenRecord): boolean {
    return this.clock.now() >= this.dueAt(record);
  }

  private forcedRefreshAllowed(account: string): boolean {
    const last = this.refreshes.get(account)?.lastAt ?? 0;
    return this.clock.now() - last >= this.minForcedIntervalMs;
  }

  private countRefresh(account: string): void {
    const stats = this.refreshes.get(account) ?? { count: 0, lastAt: 0 };
    this.refreshes.set(account, { count: stats.count + 1, lastAt: this.clock.now() });
  }
}

function isTransient(error: unknown): boolean {
  return (
    (error instanceof TeslaError && error.transient) ||
    error instanceof RefreshBackoffError ||
    error instanceof RefreshBusyError ||
    error instanceof PersistFailedError ||
    error instanceof StoreUnavailableError
  );
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const iso = (ms: number): string => new Date(ms).toISOString();
