import type { Firestore } from '@google-cloud/firestore';
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
  type TokenStatus,
  type TokenStore,
  type TokenWrite,
} from './store.js';

/**
 * The Firestore TokenStore (TOKEN_STORE=firestore:COLLECTION), for the Google Cloud deployment.
 *
 * NOT VERIFIED AGAINST FIRESTORE: no Firestore (nor its emulator) can be reached where this was written. It
 * has run only against the in-process fake in test/helpers/firestore-fake.ts, which implements the narrow
 * interface below. Type checking proves the real client has these calls with these shapes; whether the real
 * service behaves as the fake does under contention is an assumption (see docs/stores.md).
 *
 * Layout, all under one document so the whole store is one subtree:
 *   COLLECTION/store/accounts/{account}  {account, version, sealedTokens, status, statusReason, updatedAt}
 *   COLLECTION/store/leases/{account}    {account, holder, expiresAt}
 *   COLLECTION/store/state/{key}         {key, version, json, updatedAt}
 * Document ids are the names percent-encoded (see docId), so any account or key is a legal id.
 *
 * Every write is a read-write transaction: read the document, compare its version (or the lease's holder and
 * expiry, judged by the injected Clock), then create/update it. Firestore fails a transaction whose read
 * document changed before the commit (ABORTED) and the client runs it again, where the comparison now fails:
 * that is the compare-and-swap. Tokens are sealed with AES-256-GCM (TOKEN_ENCRYPTION_KEY) and bound to
 * their account; state documents hold JSON text in clear.
 */

// ---- The narrow slice of @google-cloud/firestore this store uses (the fake implements the same). ----

export type FsData = Record<string, unknown>;

export interface FsSnapshot {
  readonly exists: boolean;
  data(): FsData | undefined;
}

export interface FsDocumentRef {
  readonly id: string;
  get(): Promise<FsSnapshot>;
}

export interface FsCollectionRef {
  doc(id: string): FsDocumentRef;
  /** References to the collection's documents (the store only keeps documents that exist there). */
  listDocuments(): Promise<FsDocumentRef[]>;
}

export interface FsTransaction {
  get(ref: FsDocumentRef): Promise<FsSnapshot>;
  /** Fails the commit (ALREADY_EXISTS) if the document exists. */
  create(ref: FsDocumentRef, data: FsData): unknown;
  set(ref: FsDocumentRef, data: FsData): unknown;
  /** Fails the commit (NOT_FOUND) if the document does not exist. */
  update(ref: FsDocumentRef, data: FsData): unknown;
  delete(ref: FsDocumentRef): unknown;
}

export interface FirestoreLike {
  collection(path: string): FsCollectionRef;
  runTransaction<T>(fn: (tx: FsTransaction) => Promise<T>, options?: { maxAttempts?: number }): Promise<T>;
}

// Compile-time proof that the real client offers exactly these calls (no runtime import of the client).
type Assert<T extends true> = T;
export type RealClientFits = Assert<Firestore extends FirestoreLike ? true : false>;

export interface FirestoreTokenStoreOptions {
  /** `new Firestore()` or anything implementing the same calls (the test fake). */
  firestore: FirestoreLike;
  /** Top-level collection that holds the store (TOKEN_STORE=firestore:COLLECTION). */
  collection: string;
  /** 32 bytes (see parseEncryptionKey). Required: Firestore keeps no key. */
  key: Buffer;
  /** Call `terminate()` on the client in close() (set when the store made the client). */
  ownsClient?: boolean;
  /** Attempts per transaction, as the client counts them (its default is 5). */
  maxAttempts?: number;
  clock?: Clock;
  logger?: Logger;
}

const TOKEN_AAD = 'offpeak-token-record';
const MAX_ID_BYTES = 1500;

/** gRPC status codes by number, for messages. */
const CODE_NAMES: Record<number, string> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};

export class FirestoreTokenStore implements TokenStore {
  readonly kind = 'firestore';
  readonly collection: string;
  private readonly db: FirestoreLike;
  private readonly accounts: FsCollectionRef;
  private readonly leases: FsCollectionRef;
  private readonly state: FsCollectionRef;
  private readonly key: Buffer;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly ownsClient: boolean;
  private readonly maxAttempts: number;
  private closed = false;

  constructor(options: FirestoreTokenStoreOptions) {
    if (!Buffer.isBuffer(options.key) || options.key.length !== 32) {
      throw new RangeError(
        'the Firestore token store needs TOKEN_ENCRYPTION_KEY (32 random bytes in base64 or hex; make one with: openssl rand -base64 32)',
      );
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/.test(options.collection)) {
      throw new TypeError('Firestore collection name must be 1-100 letters, digits, "_" or "-", starting with a letter or digit');
    }
    this.collection = options.collection;
    this.db = options.firestore;
    const root = `${options.collection}/store`;
    this.accounts = this.db.collection(`${root}/accounts`);
    this.leases = this.db.collection(`${root}/leases`);
    this.state = this.db.collection(`${root}/state`);
    this.key = Buffer.from(options.key);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.ownsClient = options.ownsClient ?? false;
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  async get(account: string): Promise<TokenRecord | null> {
    const ref = this.accounts.doc(docId('account', account));
    const snap = await this.call('read', () => ref.get());
    return snap.exists ? this.toRecord(account, snap.data()) : null;
  }

  async put(account: string, write: TokenWrite, expectedVersion: number): Promise<TokenRecord> {
    const ref = this.accounts.doc(docId('account', account));
    checkVersion(expectedVersion);
    const { tokens, status, statusReason } = checkWrite(write);
    const sealedTokens = seal(JSON.stringify(tokens), this.key, `${TOKEN_AAD}/${account}`);
    return this.transaction('write', async (tx) => {
      const snap = await tx.get(ref);
      const actual = snap.exists ? versionOf(snap.data(), `account "${account}"`) : 0;
      if (actual !== expectedVersion) throw new VersionConflictError(account, expectedVersion, actual);
      const record: TokenRecord = { account, version: actual + 1, tokens, status, statusReason, updatedAt: this.clock.now() };
      const doc = { account, version: record.version, sealedTokens, status, statusReason, updatedAt: record.updatedAt };
      if (actual === 0) tx.create(ref, doc);
      else tx.update(ref, doc);
      return { ...record, tokens: { ...tokens } };
    });
  }

  async acquireLease(account: string, holder: string, ttlMs: number): Promise<Lease | null> {
    const ref = this.leases.doc(docId('account', account));
    name('holder', holder);
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('acquireLease: ttlMs must be > 0');
    return this.transaction('take the lease in', async (tx) => {
      const current = leaseOf(account, await tx.get(ref));
      const now = this.clock.now();
      if (current && current.expiresAt > now && current.holder !== holder) return null;
      const lease: Lease = { account, holder, expiresAt: now + ttlMs };
      tx.set(ref, { ...lease });
      return lease;
    });
  }

  async releaseLease(account: string, holder: string): Promise<void> {
    const ref = this.leases.doc(docId('account', account));
    name('holder', holder);
    await this.transaction('release the lease in', async (tx) => {
      if (leaseOf(account, await tx.get(ref))?.holder === holder) tx.delete(ref);
    });
  }

  async getLease(account: string): Promise<Lease | null> {
    const ref = this.leases.doc(docId('account', account));
    const lease = leaseOf(account, await this.call('read', () => ref.get()));
    return lease && lease.expiresAt > this.clock.now() ? lease : null;
  }

  async listAccounts(): Promise<string[]> {
    const refs = await this.call('read', () => this.accounts.listDocuments());
    return refs.map((ref) => nameOf(ref.id)).sort();
  }

  async getState<T>(key: string): Promise<StateDoc<T> | null> {
    const ref = this.state.doc(docId('state key', key));
    const snap = await this.call('read', () => ref.get());
    return snap.exists ? stateOf<T>(key, snap.data()) : null;
  }

  async putState<T>(key: string, value: T, expectedVersion: number): Promise<StateDoc<T>> {
    const ref = this.state.doc(docId('state key', key));
    checkVersion(expectedVersion);
    const json = value === undefined ? undefined : JSON.stringify(value);
    if (json === undefined) throw new TypeError('putState: value must be JSON-serialisable');
    return this.transaction('write', async (tx) => {
      const snap = await tx.get(ref);
      const actual = snap.exists ? versionOf(snap.data(), `state document "${key}"`) : 0;
      if (actual !== expectedVersion) throw new VersionConflictError(key, expectedVersion, actual);
      const doc = { key, version: actual + 1, json, updatedAt: this.clock.now() };
      if (actual === 0) tx.create(ref, doc);
      else tx.update(ref, doc);
      return { version: doc.version, value: JSON.parse(json) as T, updatedAt: doc.updatedAt };
    });
  }

  /** Stops using the client; terminates it when this store made it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const client = this.db as Partial<{ terminate(): Promise<void> }>;
    if (this.ownsClient && typeof client.terminate === 'function') await client.terminate().catch(() => undefined);
  }

  private toRecord(account: string, data: FsData | undefined): TokenRecord {
    const label = `the token record of account "${account}" in Firestore`;
    const d = data ?? {};
    const status = d.status as TokenStatus;
    if (
      typeof d.sealedTokens !== 'string' ||
      (status !== 'ok' && status !== 'reauth_required') ||
      (d.statusReason !== null && typeof d.statusReason !== 'string') ||
      typeof d.updatedAt !== 'number'
    ) {
      throw new StoreCorruptError(`${label} has an unexpected format`);
    }
    const plain = openSealed(d.sealedTokens, this.key, `${TOKEN_AAD}/${account}`, label);
    return {
      account,
      version: versionOf(d, `account "${account}"`),
      tokens: parseTokenSet(plain.toString('utf8'), label),
      status,
      statusReason: d.statusReason,
      updatedAt: d.updatedAt,
    };
  }

  private transaction<T>(action: string, fn: (tx: FsTransaction) => Promise<T>): Promise<T> {
    return this.call(action, () => this.db.runTransaction(fn, { maxAttempts: this.maxAttempts }));
  }

  /** Runs one client call; errors of the service or the network become StoreUnavailableError. */
  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('the Firestore token store is closed');
    try {
      return await fn();
    } catch (err) {
      if (err instanceof VersionConflictError || err instanceof StoreCorruptError || err instanceof TypeError) throw err;
      if (err instanceof RangeError) throw err;
      const code = (err as { code?: unknown } | null)?.code;
      const codeName = typeof code === 'number' ? (CODE_NAMES[code] ?? String(code)) : typeof code === 'string' ? code : '';
      const message = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 300) : String(err);
      if (codeName === 'ABORTED') {
        this.logger.warn({ collection: this.collection }, 'Firestore token store: a transaction kept colliding and gave up');
      }
      // Firestore's messages name documents and codes; the data written is sealed, so no token can appear.
      throw new StoreUnavailableError(
        `cannot ${action} the Firestore token store (collection "${this.collection}")${codeName ? ` [${codeName}]` : ''}: ${message}`,
        { cause: err },
      );
    }
  }
}

/**
 * A name as a Firestore document id: percent-encoding leaves only [A-Za-z0-9-%] (so no "/", no "." or ".."
 * and no reserved "__…__"), and decodes back exactly for listAccounts.
 */
export function docId(what: string, value: string): string {
  name(what, value);
  const id = encodeURIComponent(value).replace(/[!'()*._~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  if (Buffer.byteLength(id) > MAX_ID_BYTES) throw new TypeError(`${what} is too long for a Firestore document id`);
  return id;
}

function nameOf(id: string): string {
  try {
    return decodeURIComponent(id);
  } catch {
    throw new StoreCorruptError(`the Firestore token store holds a document id offpeak did not write: ${id.slice(0, 100)}`);
  }
}

function versionOf(data: FsData | undefined, what: string): number {
  const version = data?.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new StoreCorruptError(`the Firestore token store's ${what} has no valid version`);
  }
  return version;
}

function leaseOf(account: string, snap: FsSnapshot): Lease | null {
  if (!snap.exists) return null;
  const d = snap.data() ?? {};
  if (typeof d.holder !== 'string' || typeof d.expiresAt !== 'number') {
    throw new StoreCorruptError(`the Firestore token store's lease of account "${account}" has an unexpected format`);
  }
  return { account, holder: d.holder, expiresAt: d.expiresAt };
}

function stateOf<T>(key: string, data: FsData | undefined): StateDoc<T> {
  const d = data ?? {};
  if (typeof d.json !== 'string' || typeof d.updatedAt !== 'number') {
    throw new StoreCorruptError(`the Firestore token store's state document "${key}" has an unexpected format`);
  }
  let value: T;
  try {
    value = JSON.parse(d.json) as T;
  } catch {
    throw new StoreCorruptError(`the Firestore token store's state document "${key}" does not hold valid JSON`);
  }
  return { version: versionOf(d, `state document "${key}"`), value, updatedAt: d.updatedAt };
}
