import { randomBytes } from 'node:crypto';
import { mkdir, open as openFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { lock } from 'proper-lockfile';
import { z } from 'zod';
import { systemClock, sleep, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import { open as openSealed, seal } from './crypto.js';
import { checkVersion, name } from './store-checks.js';
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
 * The embedded TokenStore: one AES-256-GCM sealed file holding every record, lease and state document.
 *
 * Writes are read-modify-write under a cross-process lock (a proper-lockfile directory beside the file), and
 * land by write-temp + fsync + rename + fsync-dir, so a reader sees either the old or the new file and never
 * needs the lock. A holder killed with SIGKILL leaves its lock directory behind; others treat it as stale
 * once its mtime is `lockStaleMs` old (a live holder keeps touching it) and take over.
 */

export interface FileTokenStoreOptions {
  path: string;
  /** 32 bytes (see parseEncryptionKey). */
  key: Buffer;
  clock?: Clock;
  logger?: Logger;
  /** A lock untouched this long belongs to a dead process. proper-lockfile's floor is 2000. */
  lockStaleMs?: number;
  /** How long a write waits for the lock before failing with StoreUnavailableError. */
  lockWaitMs?: number;
}

const AAD = 'offpeak-token-store';
const FORMAT = 'offpeak-token-store';
const DEFAULT_LOCK_STALE_MS = 10_000;

const tokenSetSchema = z.object({
  refreshToken: z.string(),
  accessToken: z.string().nullable(),
  accessExpiresAt: z.number().nullable(),
  accessIssuedAt: z.number().nullable(),
});
const recordSchema = z.object({
  account: z.string(),
  version: z.int().positive(),
  tokens: tokenSetSchema,
  status: z.enum(['ok', 'reauth_required']),
  statusReason: z.string().nullable(),
  updatedAt: z.number(),
});
const leaseSchema = z.object({ account: z.string(), holder: z.string(), expiresAt: z.number() });
const stateSchema = z.object({ key: z.string(), version: z.int().positive(), value: z.unknown(), updatedAt: z.number() });
// Arrays rather than objects keyed by account, so no account name ("__proto__") can touch a prototype.
const fileSchema = z.object({
  format: z.literal(FORMAT),
  v: z.literal(1),
  records: z.array(recordSchema),
  leases: z.array(leaseSchema),
  state: z.array(stateSchema),
});

interface Data {
  records: Map<string, TokenRecord>;
  leases: Map<string, Lease>;
  state: Map<string, StateDoc>;
}

interface Loaded {
  data: Data;
  /** Identity of the file that was read (null: none), to notice a write by someone who should not have. */
  stamp: string | null;
}

type Change<R> = (data: Data, now: number) => { result: R; write: boolean };

/** Writes of one process to one file go one at a time: the file lock is per process, not per call. */
const queues = new Map<string, Promise<void>>();

function serialize<T>(key: string, task: () => Promise<T>): Promise<T> {
  const run = (queues.get(key) ?? Promise.resolve()).then(task);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

export class FileTokenStore implements TokenStore {
  readonly kind = 'file';
  readonly path: string;
  readonly lockPath: string;
  private readonly key: Buffer;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly lockStaleMs: number;
  private readonly lockWaitMs: number;
  private closed = false;

  constructor(options: FileTokenStoreOptions) {
    if (!Buffer.isBuffer(options.key) || options.key.length !== 32) {
      throw new RangeError('FileTokenStore needs a 32-byte key (see parseEncryptionKey)');
    }
    this.path = resolve(options.path);
    this.lockPath = `${this.path}.lock`;
    this.key = Buffer.from(options.key);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.lockStaleMs = Math.max(options.lockStaleMs ?? DEFAULT_LOCK_STALE_MS, 2000);
    this.lockWaitMs = options.lockWaitMs ?? this.lockStaleMs * 2;
  }

  async get(account: string): Promise<TokenRecord | null> {
    const record = (await this.read()).records.get(name('account', account));
    return record ? structuredClone(record) : null;
  }

  async put(account: string, write: TokenWrite, expectedVersion: number): Promise<TokenRecord> {
    name('account', account);
    checkVersion(expectedVersion);
    const tokens = tokenSetSchema.safeParse(write?.tokens);
    const status = recordSchema.shape.status.safeParse(write?.status);
    const reason = write?.statusReason ?? null;
    // Checked before writing: a malformed record would make the whole file unreadable later.
    if (!tokens.success || !status.success || (reason !== null && typeof reason !== 'string')) {
      throw new TypeError('put: write must be {tokens: TokenSet, status, statusReason?}');
    }
    return this.mutate((data, now) => {
      const actual = data.records.get(account)?.version ?? 0;
      if (actual !== expectedVersion) throw new VersionConflictError(account, expectedVersion, actual);
      const record: TokenRecord = {
        account,
        version: actual + 1,
        tokens: tokens.data,
        status: status.data,
        statusReason: reason,
        updatedAt: now,
      };
      data.records.set(account, record);
      return { result: structuredClone(record), write: true };
    });
  }

  async acquireLease(account: string, holder: string, ttlMs: number): Promise<Lease | null> {
    name('account', account);
    name('holder', holder);
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('acquireLease: ttlMs must be > 0');
    return this.mutate((data, now) => {
      const current = data.leases.get(account);
      if (current && current.expiresAt > now && current.holder !== holder) return { result: null, write: false };
      const lease: Lease = { account, holder, expiresAt: now + ttlMs };
      data.leases.set(account, lease);
      return { result: { ...lease }, write: true };
    });
  }

  async releaseLease(account: string, holder: string): Promise<void> {
    name('account', account);
    name('holder', holder);
    await this.mutate((data) => {
      if (data.leases.get(account)?.holder !== holder) return { result: undefined, write: false };
      data.leases.delete(account);
      return { result: undefined, write: true };
    });
  }

  async getLease(account: string): Promise<Lease | null> {
    const lease = (await this.read()).leases.get(name('account', account));
    return lease && lease.expiresAt > this.clock.now() ? { ...lease } : null;
  }

  async listAccounts(): Promise<string[]> {
    return [...(await this.read()).records.keys()].sort();
  }

  async getState<T>(key: string): Promise<StateDoc<T> | null> {
    const doc = (await this.read()).state.get(name('state key', key));
    return doc ? (structuredClone(doc) as StateDoc<T>) : null;
  }

  async putState<T>(key: string, value: T, expectedVersion: number): Promise<StateDoc<T>> {
    name('state key', key);
    checkVersion(expectedVersion);
    // Stored as JSON, so hand back what a later read returns (as the database backends do).
    const json = value === undefined ? undefined : JSON.stringify(value);
    if (json === undefined) throw new TypeError('putState: value must be JSON-serialisable');
    return this.mutate((data, now) => {
      const actual = data.state.get(key)?.version ?? 0;
      if (actual !== expectedVersion) throw new VersionConflictError(key, expectedVersion, actual);
      const doc: StateDoc = { version: actual + 1, value: JSON.parse(json), updatedAt: now };
      data.state.set(key, doc);
      return { result: structuredClone(doc) as StateDoc<T>, write: true };
    });
  }

  /** Waits for this process's pending writes to the file; nothing on disk needs releasing. */
  async close(): Promise<void> {
    this.closed = true;
    await queues.get(this.path);
  }

  private async read(): Promise<Data> {
    this.checkOpen();
    return (await this.load()).data;
  }

  /**
   * Runs `change` on the current content and writes the result. A lock-free first pass decides most refusals
   * (CAS conflict, lease held by another) without touching the lock; the locked pass decides for real.
   */
  private async mutate<R>(change: Change<R>): Promise<R> {
    const dry = change(await this.read(), this.clock.now());
    if (!dry.write) return dry.result;
    return serialize(this.path, async () => {
      this.checkOpen();
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 }).catch((err: unknown) => {
        throw this.unavailable('create the directory of', err);
      });
      const held = await this.lock();
      try {
        const loaded = await this.load();
        const out = change(loaded.data, this.clock.now());
        if (out.write) await this.commit(loaded, held);
        return out.result;
      } finally {
        await held.release().catch((err: unknown) => {
          // Already released when compromised; otherwise the lock goes stale and others take over.
          this.logger.warn({ lockPath: this.lockPath, err: errorCode(err) }, 'could not release the token store lock');
        });
      }
    });
  }

  private async lock(): Promise<{ release: () => Promise<void>; compromised: Error | null }> {
    const held: { release: () => Promise<void>; compromised: Error | null } = {
      release: async () => undefined,
      compromised: null,
    };
    const deadline = Date.now() + this.lockWaitMs;
    for (let delay = 5; ; delay = Math.min(delay * 1.5, 100)) {
      try {
        held.release = await lock(this.path, {
          lockfilePath: this.lockPath,
          realpath: false,
          stale: this.lockStaleMs,
          retries: 0, // retried below, against a deadline rather than a count
          onCompromised: (err) => {
            held.compromised = err;
          },
        });
        return held;
      } catch (err) {
        if (errorCode(err) !== 'ELOCKED') throw this.unavailable('lock', err);
        if (Date.now() >= deadline) {
          throw new StoreUnavailableError(
            `token store ${this.path} is locked by another process (${this.lockPath}) for more than ${this.lockWaitMs} ms`,
          );
        }
        await sleep(delay * (0.5 + Math.random())); // jitter, so racing processes do not retry in step
      }
    }
  }

  private async load(): Promise<Loaded> {
    let handle: FileHandle;
    try {
      handle = await openFile(this.path, 'r');
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return { data: emptyData(), stamp: null };
      throw this.unavailable('read', err);
    }
    let raw: Buffer;
    let info: Stats;
    try {
      info = await handle.stat();
      raw = await handle.readFile();
    } catch (err) {
      throw this.unavailable('read', err);
    } finally {
      await handle.close().catch(() => undefined);
    }
    return { data: this.decode(raw), stamp: stampOf(info) };
  }

  private decode(raw: Buffer): Data {
    const plain = openSealed(raw, this.key, AAD, this.path);
    let json: unknown;
    try {
      json = JSON.parse(plain.toString('utf8'));
    } catch {
      // JSON.parse's message quotes the input, which holds tokens: say nothing about the content.
      throw new StoreCorruptError(`token store ${this.path} decrypted but does not hold valid JSON`);
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues.map((issue) => issue.path.join('.') || '(top)').join(', ');
      throw new StoreCorruptError(`token store ${this.path} has an unexpected format at: ${where}`);
    }
    const { records, leases, state } = parsed.data;
    return {
      records: new Map(records.map((r) => [r.account, r])),
      leases: new Map(leases.map((l) => [l.account, l])),
      state: new Map(state.map(({ key, ...doc }) => [key, doc])),
    };
  }

  /** Temp file (0600, same directory) → fsync → rename over the store → fsync the directory. */
  private async commit(loaded: Loaded, held: { compromised: Error | null }): Promise<void> {
    const { records, leases, state } = loaded.data;
    const content = {
      format: FORMAT,
      v: 1,
      records: [...records.values()],
      leases: [...leases.values()],
      state: [...state.entries()].map(([key, doc]) => ({ key, ...doc })),
    };
    const sealed = seal(JSON.stringify(content), this.key, AAD);
    const dir = dirname(this.path);
    const temp = join(dir, `${basename(this.path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    let handle: FileHandle | undefined;
    try {
      handle = await openFile(temp, 'wx', 0o600);
      await handle.writeFile(sealed);
      await handle.sync();
      await handle.close();
      handle = undefined;
      await this.checkStillOurs(loaded.stamp, held);
      await rename(temp, this.path);
    } catch (err) {
      await handle?.close().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      throw err instanceof StoreUnavailableError ? err : this.unavailable('write', err);
    }
    await this.syncDirectory(dir);
  }

  /**
   * proper-lockfile can, in a rare race while breaking a stale lock, let two processes in. Checking that the
   * file is still the one read under the lock narrows that to a window of microseconds.
   */
  private async checkStillOurs(stamp: string | null, held: { compromised: Error | null }): Promise<void> {
    let now: string | null = null;
    try {
      now = stampOf(await stat(this.path));
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw this.unavailable('read', err);
    }
    if (held.compromised || now !== stamp) {
      this.logger.warn({ path: this.path }, 'token store changed while this process held its lock; write abandoned');
      throw new StoreUnavailableError(
        `token store ${this.path} was changed by another process while this one held the lock; nothing was written, try again`,
      );
    }
  }

  private async syncDirectory(dir: string): Promise<void> {
    let handle: FileHandle | undefined;
    try {
      handle = await openFile(dir, 'r');
      await handle.sync();
    } catch (err) {
      // Some platforms cannot open or fsync a directory; there the rename is as durable as it gets.
      if (!['EISDIR', 'EINVAL', 'ENOTSUP', 'EPERM'].includes(errorCode(err) ?? '')) throw this.unavailable('sync', err);
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  private unavailable(action: string, err: unknown): StoreUnavailableError {
    // fs errors name the path and a code, never the content, so they are safe to keep as the cause.
    return new StoreUnavailableError(`cannot ${action} token store ${this.path}: ${errorCode(err) ?? String(err)}`, {
      cause: err,
    });
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`token store ${this.path} is closed`);
  }
}

function emptyData(): Data {
  return { records: new Map(), leases: new Map(), state: new Map() };
}

function stampOf(info: Stats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}
