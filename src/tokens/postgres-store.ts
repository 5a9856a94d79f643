import pg from 'pg';
import type { PoolClient, PoolConfig, QueryResultRow } from 'pg';
import { systemClock, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import { open as openSealed, seal } from './crypto.js';
import { checkVersion, checkWrite, name, parseTokenSet } from './store-checks.js';
import {
  StoreCorruptError,
  StoreUnavailableError,
  VersionConflictError,
  type Lease,
  type StateDoc,
  type TokenRecord,
  type TokenStore,
  type TokenWrite,
} from './store.js';

/**
 * The PostgreSQL TokenStore (TOKEN_STORE=postgres://…): for installations that already run PostgreSQL, or
 * that run several Workers/Scouts on different hosts against one database.
 *
 * - Records: `UPDATE … WHERE account = $1 AND version = $2` (or `INSERT … ON CONFLICT DO NOTHING` for
 *   version 0) is the compare-and-swap; a statement that touched no row is a VersionConflictError.
 * - Lease: one `INSERT … ON CONFLICT (account) DO UPDATE … WHERE expired OR same holder RETURNING`, so two
 *   processes can never both be granted it. Times come from the injected Clock, not the database's now().
 * - Tokens are sealed with AES-256-GCM (TOKEN_ENCRYPTION_KEY) and bound to their account, so a sealed value
 *   copied to another row does not open. Status, versions, leases and state documents are stored in clear.
 * - The schema is created and migrated by `ready()` (the first operation calls it), under an advisory lock,
 *   so processes starting together do not trip over each other.
 *
 * Errors: anything the database or the network fails with becomes StoreUnavailableError; a value that does
 * not decrypt or parse becomes StoreCorruptError. Messages carry neither tokens nor the connection string.
 */

export interface PostgresTokenStoreOptions {
  /** postgres://user:password@host:port/database?sslmode=… (what pg accepts). Or give `pool` settings. */
  connectionString?: string;
  /** Extra pg Pool settings (host, ssl, max, …); `connectionString` wins where both set the same thing. */
  pool?: PoolConfig;
  /** 32 bytes (see parseEncryptionKey). Required: the database keeps no key. */
  key: Buffer;
  /**
   * The PostgreSQL schema to keep the tables in; created when missing. Without it, unqualified names are used
   * and the connection's search_path decides (usually "public").
   */
  schema?: string;
  clock?: Clock;
  logger?: Logger;
}

/** The database holds data in a schema version this code does not know (a newer offpeak migrated it). */
export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError';
}

const TOKEN_AAD = 'offpeak-token-record';
/** First key of the two-int advisory lock that serialises migrations ("offp" in ASCII). */
const MIGRATION_LOCK_CLASS = 0x6f666670;
const CONNECT_TIMEOUT_MS = 10_000;
/** Client-side, so it also works through poolers (PgBouncer) that refuse a statement_timeout at startup. */
const QUERY_TIMEOUT_MS = 30_000;

/** Each entry moves the schema from version index to index + 1. Append only; never edit a shipped one. */
const MIGRATIONS: ((t: Tables) => string)[] = [
  (t) => `
    CREATE TABLE ${t.tokens} (
      account       text        PRIMARY KEY,
      version       bigint      NOT NULL CHECK (version > 0),
      sealed_tokens text        NOT NULL,
      status        text        NOT NULL CHECK (status IN ('ok', 'reauth_required')),
      status_reason text,
      updated_at    timestamptz NOT NULL
    );
    CREATE TABLE ${t.leases} (
      account    text        PRIMARY KEY,
      holder     text        NOT NULL,
      expires_at timestamptz NOT NULL
    );
    CREATE TABLE ${t.state} (
      key        text        PRIMARY KEY,
      version    bigint      NOT NULL CHECK (version > 0),
      value      json        NOT NULL,
      updated_at timestamptz NOT NULL
    );`,
];

export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

interface Tables {
  schemaVersion: string;
  tokens: string;
  leases: string;
  state: string;
}

export class PostgresTokenStore implements TokenStore {
  readonly kind = 'postgres';
  /** The schema given in the options (null: the search_path decides). */
  readonly schema: string | null;
  private readonly pool: pg.Pool;
  private readonly key: Buffer;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly t: Tables;
  private migrated: Promise<void> | null = null;
  private closed = false;

  constructor(options: PostgresTokenStoreOptions) {
    if (!Buffer.isBuffer(options.key) || options.key.length !== 32) {
      throw new RangeError(
        'the PostgreSQL token store needs TOKEN_ENCRYPTION_KEY (32 random bytes in base64 or hex; make one with: openssl rand -base64 32)',
      );
    }
    if (options.schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(options.schema)) {
      throw new TypeError('PostgreSQL schema name must be 1-63 letters, digits or "_", not starting with a digit');
    }
    this.schema = options.schema ?? null;
    const prefix = this.schema === null ? '' : `"${this.schema}".`;
    this.t = {
      schemaVersion: `${prefix}offpeak_schema_version`,
      tokens: `${prefix}offpeak_tokens`,
      leases: `${prefix}offpeak_leases`,
      state: `${prefix}offpeak_state`,
    };
    this.key = Buffer.from(options.key);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.pool = new pg.Pool({
      max: 4,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      application_name: 'offpeak',
      ...options.pool,
      ...(options.connectionString !== undefined && { connectionString: options.connectionString }),
    });
    // An idle connection that dies (server restart) is reported here; unhandled, it would end the process.
    this.pool.on('error', (err) => {
      this.logger.warn({ err: describe(err) }, 'PostgreSQL token store: an idle connection failed; it will be replaced');
    });
  }

  /**
   * Creates or migrates the schema once per instance. Safe when many processes start at once (advisory lock).
   * A failure is not remembered: the next call tries again.
   */
  ready(): Promise<void> {
    this.checkOpen();
    this.migrated ??= this.migrate().catch((err: unknown) => {
      this.migrated = null;
      throw err;
    });
    return this.migrated;
  }

  async get(account: string): Promise<TokenRecord | null> {
    name('account', account);
    const row = (await this.query('read', `SELECT * FROM ${this.t.tokens} WHERE account = $1`, [account]))[0];
    return row ? this.toRecord(row) : null;
  }

  async put(account: string, write: TokenWrite, expectedVersion: number): Promise<TokenRecord> {
    name('account', account);
    checkVersion(expectedVersion);
    const { tokens, status, statusReason } = checkWrite(write);
    const sealed = seal(JSON.stringify(tokens), this.key, `${TOKEN_AAD}/${account}`);
    const now = new Date(this.clock.now());
    const rows =
      expectedVersion === 0
        ? await this.query(
            'write',
            `INSERT INTO ${this.t.tokens} (account, version, sealed_tokens, status, status_reason, updated_at)
             VALUES ($1, 1, $2, $3, $4, $5) ON CONFLICT (account) DO NOTHING RETURNING version, updated_at`,
            [account, sealed, status, statusReason, now],
          )
        : await this.query(
            'write',
            `UPDATE ${this.t.tokens}
             SET version = version + 1, sealed_tokens = $3, status = $4, status_reason = $5, updated_at = $6
             WHERE account = $1 AND version = $2 RETURNING version, updated_at`,
            [account, expectedVersion, sealed, status, statusReason, now],
          );
    const row = rows[0];
    if (!row) {
      const current = await this.query('read', `SELECT version FROM ${this.t.tokens} WHERE account = $1`, [account]);
      throw new VersionConflictError(account, expectedVersion, current[0] ? Number(current[0].version) : 0);
    }
    return {
      account,
      version: Number(row.version),
      tokens: { ...tokens },
      status,
      statusReason,
      updatedAt: (row.updated_at as Date).getTime(),
    };
  }

  async acquireLease(account: string, holder: string, ttlMs: number): Promise<Lease | null> {
    name('account', account);
    name('holder', holder);
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('acquireLease: ttlMs must be > 0');
    const now = this.clock.now();
    // ON CONFLICT DO UPDATE locks the existing row and judges the WHERE on its latest committed version, so
    // of many concurrent callers exactly one is granted a free or expired lease.
    const rows = await this.query(
      'take the lease in',
      `INSERT INTO ${this.t.leases} AS l (account, holder, expires_at) VALUES ($1, $2, $4)
       ON CONFLICT (account) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE l.expires_at <= $3 OR l.holder = EXCLUDED.holder
       RETURNING holder, expires_at`,
      [account, holder, new Date(now), new Date(now + ttlMs)],
    );
    const row = rows[0];
    return row ? { account, holder: String(row.holder), expiresAt: (row.expires_at as Date).getTime() } : null;
  }

  async releaseLease(account: string, holder: string): Promise<void> {
    name('account', account);
    name('holder', holder);
    await this.query('release the lease in', `DELETE FROM ${this.t.leases} WHERE account = $1 AND holder = $2`, [
      account,
      holder,
    ]);
  }

  async getLease(account: string): Promise<Lease | null> {
    name('account', account);
    const rows = await this.query(
      'read',
      `SELECT holder, expires_at FROM ${this.t.leases} WHERE account = $1 AND expires_at > $2`,
      [account, new Date(this.clock.now())],
    );
    const row = rows[0];
    return row ? { account, holder: String(row.holder), expiresAt: (row.expires_at as Date).getTime() } : null;
  }

  async listAccounts(): Promise<string[]> {
    const rows = await this.query('read', `SELECT account FROM ${this.t.tokens}`, []);
    return rows.map((row) => String(row.account)).sort();
  }

  async getState<T>(key: string): Promise<StateDoc<T> | null> {
    name('state key', key);
    const row = (await this.query('read', `SELECT version, value, updated_at FROM ${this.t.state} WHERE key = $1`, [key]))[0];
    if (!row) return null;
    return { version: Number(row.version), value: row.value as T, updatedAt: (row.updated_at as Date).getTime() };
  }

  async putState<T>(key: string, value: T, expectedVersion: number): Promise<StateDoc<T>> {
    name('state key', key);
    checkVersion(expectedVersion);
    const json = value === undefined ? undefined : JSON.stringify(value);
    if (json === undefined) throw new TypeError('putState: value must be JSON-serialisable');
    const now = new Date(this.clock.now());
    const rows =
      expectedVersion === 0
        ? await this.query(
            'write',
            `INSERT INTO ${this.t.state} (key, version, value, updated_at) VALUES ($1, 1, $2::json, $3)
             ON CONFLICT (key) DO NOTHING RETURNING version, updated_at`,
            [key, json, now],
          )
        : await this.query(
            'write',
            `UPDATE ${this.t.state} SET version = version + 1, value = $3::json, updated_at = $4
             WHERE key = $1 AND version = $2 RETURNING version, updated_at`,
            [key, expectedVersion, json, now],
          );
    const row = rows[0];
    if (!row) {
      const current = await this.query('read', `SELECT version FROM ${this.t.state} WHERE key = $1`, [key]);
      throw new VersionConflictError(key, expectedVersion, current[0] ? Number(current[0].version) : 0);
    }
    // What a later read returns: the JSON form (as the file store does).
    return { version: Number(row.version), value: JSON.parse(json) as T, updatedAt: (row.updated_at as Date).getTime() };
  }

  /** Ends the pool (waits for queries in flight). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch(() => undefined);
  }

  private async query(action: string, sql: string, params: unknown[]): Promise<QueryResultRow[]> {
    await this.ready();
    try {
      return (await this.pool.query(sql, params)).rows;
    } catch (err) {
      throw this.unavailable(action, err);
    }
  }

  private async migrate(): Promise<void> {
    // Fast path, without a lock or DDL: an up-to-date schema needs nothing, so a read-only user (the Scout's
    // fallback) can open the store once a Worker has created it.
    let current: number | null;
    try {
      current = await this.schemaVersion(this.pool);
    } catch (err) {
      throw this.unavailable('connect to', err);
    }
    if (current !== null) this.checkNotNewer(current);
    if (current === MIGRATIONS.length) return;

    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.unavailable('connect to', err);
    }
    let failed = false;
    try {
      await client.query('BEGIN');
      // Transaction-scoped: released by COMMIT/ROLLBACK, or by the server if this process dies.
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext(coalesce($2, current_schema(), \'\')))', [
        MIGRATION_LOCK_CLASS,
        this.schema,
      ]);
      if (this.schema !== null) await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.t.schemaVersion} (
           id         int         PRIMARY KEY CHECK (id = 1),
           version    int         NOT NULL,
           updated_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const current = (await this.schemaVersion(client)) ?? 0;
      this.checkNotNewer(current);
      for (let v = current; v < MIGRATIONS.length; v++) await client.query(MIGRATIONS[v]!(this.t));
      if (current < MIGRATIONS.length) {
        await client.query(
          `INSERT INTO ${this.t.schemaVersion} (id, version) VALUES (1, $1)
           ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, updated_at = now()`,
          [MIGRATIONS.length],
        );
      }
      await client.query('COMMIT');
    } catch (err) {
      failed = true;
      await client.query('ROLLBACK').catch(() => undefined);
      if (err instanceof SchemaTooNewError) throw err;
      throw this.unavailable('create or migrate the tables of', err);
    } finally {
      client.release(failed);
    }
  }

  /** The schema version recorded in the database, or null when the version table does not exist yet. */
  private async schemaVersion(db: pg.Pool | PoolClient): Promise<number | null> {
    const exists = await db.query('SELECT to_regclass($1) IS NOT NULL AS found', [this.t.schemaVersion]);
    if (!exists.rows[0]?.found) return null;
    const row = (await db.query(`SELECT version FROM ${this.t.schemaVersion} WHERE id = 1`)).rows[0];
    return row ? Number(row.version) : 0;
  }

  private checkNotNewer(current: number): void {
    if (current > MIGRATIONS.length) {
      throw new SchemaTooNewError(
        `the PostgreSQL token store's schema is at version ${current}, newer than this offpeak knows ` +
          `(${MIGRATIONS.length}): upgrade offpeak, or point it at another database or schema`,
      );
    }
  }

  private toRecord(row: QueryResultRow): TokenRecord {
    const account = String(row.account);
    const label = `the token record of account "${account}" in PostgreSQL`;
    const plain = openSealed(String(row.sealed_tokens), this.key, `${TOKEN_AAD}/${account}`, label);
    const tokens = parseTokenSet(plain.toString('utf8'), label);
    const status = row.status as string;
    if (status !== 'ok' && status !== 'reauth_required') throw new StoreCorruptError(`${label} has an unknown status`);
    return {
      account,
      version: Number(row.version),
      tokens,
      status,
      statusReason: row.status_reason === null ? null : String(row.status_reason),
      updatedAt: (row.updated_at as Date).getTime(),
    };
  }

  private unavailable(action: string, err: unknown): StoreUnavailableError {
    if (err instanceof StoreUnavailableError) return err;
    // pg's messages name hosts, users, SQL states and our own SQL text, never the password or bound values.
    return new StoreUnavailableError(`cannot ${action} the PostgreSQL token store: ${describe(err)}`, { cause: err });
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('the PostgreSQL token store is closed');
  }
}

/** A short description of a pg or network error: its code and first line, nothing from `detail`. */
function describe(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0 && err.message === '') return describe(err.errors[0]);
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  const message = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 300) : String(err);
  return code && !message.includes(code) ? `${code} ${message}` : message || code || 'unknown error';
}
