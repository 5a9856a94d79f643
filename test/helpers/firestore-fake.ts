import type {
  FirestoreLike,
  FsCollectionRef,
  FsData,
  FsDocumentRef,
  FsSnapshot,
  FsTransaction,
} from '../../src/tokens/firestore-store.js';

/**
 * An in-process stand-in for Firestore with only the calls FirestoreTokenStore uses (FirestoreLike); no
 * emulator can be installed here. It imitates: optimistic read-write transactions (a commit whose read
 * documents changed since they were read fails with ABORTED, code 10, and runTransaction re-runs the function
 * after a jittered back-off, up to maxAttempts, default 5 as in the client); errors of the function end it at
 * once unless their code is retryable; "all reads before all writes" (same message as the client); create
 * fails with ALREADY_EXISTS and update with NOT_FOUND, all-or-nothing; path/id rules; no `undefined` values.
 * The real server locks what a transaction read (pessimistic) instead of validating at commit; either way a
 * transaction never commits over a change to what it read, which is what the store relies on.
 */

const ABORTED = 10;
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
const UNAVAILABLE = 14;
const RETRYABLE = new Set([1, 2, 4, 8, 10, 13, 14, 16]);
const READ_AFTER_WRITE = 'Firestore transactions require all reads to be executed before all writes.';

export class FakeFirestoreError extends Error {
  constructor(readonly code: number, message: string) {
    super(`${code} ${message}`);
  }
}

interface Stored {
  rev: number;
  data: FsData | null; // null: deleted (the revision is kept, so a read of "missing" is still validated)
}

type Write = { kind: 'create' | 'set' | 'update' | 'delete'; path: string; data: FsData | null };

export class FakeFirestore implements FirestoreLike {
  private readonly docs = new Map<string, Stored>();
  private seq = 0;
  /** What happened, for tests to assert on. */
  readonly stats = { transactions: 0, attempts: 0, aborted: 0, commits: 0 };
  /** When set, every call fails with UNAVAILABLE (code 14), like a network outage. */
  unavailable = false;

  collection(path: string): FsCollectionRef {
    const segments = checkPath(path);
    if (segments.length % 2 !== 1) throw new Error(`collection path must have an odd number of segments: "${path}"`);
    return {
      doc: (id: string) => {
        if (id.includes('/')) throw new Error(`document id must not contain "/": "${id}"`);
        checkPath(`${path}/${id}`);
        return new FakeDocRef(this, `${path}/${id}`, id);
      },
      listDocuments: async () => {
        await this.io();
        return [...this.docs]
          .filter(([p, doc]) => doc.data !== null && p.startsWith(`${path}/`) && !p.slice(path.length + 1).includes('/'))
          .map(([p]) => new FakeDocRef(this, p, p.slice(path.length + 1)));
      },
    };
  }

  async runTransaction<T>(fn: (tx: FsTransaction) => Promise<T>, options: { maxAttempts?: number } = {}): Promise<T> {
    this.stats.transactions++;
    const maxAttempts = options.maxAttempts ?? 5;
    let lastError: unknown;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (attempt > 0) await sleep(Math.random() * Math.min(2 ** attempt, 20)); // jittered back-off
      this.stats.attempts++;
      const tx = new FakeTransaction(this);
      try {
        const result = await fn(tx);
        await this.io(); // the commit's round trip: other transactions may commit meanwhile
        this.commit(tx);
        return result;
      } catch (err) {
        lastError = err;
        const code = (err as { code?: unknown }).code;
        if (code === ABORTED) this.stats.aborted++;
        if (typeof code !== 'number' || !RETRYABLE.has(code)) break;
      }
    }
    throw lastError;
  }

  /** Every stored document (path → data), for tests that look at what reached the "database". */
  dump(): Map<string, FsData> {
    return new Map([...this.docs].flatMap(([p, d]) => (d.data ? [[p, structuredClone(d.data)] as const] : [])));
  }

  /** Simulated network round trip: lets other callers interleave, and fails during an outage. */
  async io(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.unavailable) throw new FakeFirestoreError(UNAVAILABLE, 'UNAVAILABLE: fake outage');
  }

  read(path: string): { rev: number; snapshot: FsSnapshot } {
    const doc = this.docs.get(path);
    const data = doc?.data ? structuredClone(doc.data) : undefined;
    return { rev: doc?.rev ?? 0, snapshot: { exists: data !== undefined, data: () => data && structuredClone(data) } };
  }

  /** Validate-then-apply runs without an await in between, so it is atomic against other commits. */
  private commit(tx: FakeTransaction): void {
    for (const [path, rev] of tx.reads) {
      if ((this.docs.get(path)?.rev ?? 0) !== rev) {
        throw new FakeFirestoreError(ABORTED, `ABORTED: Transaction lock timeout / contention on ${path}`);
      }
    }
    const exists = new Map<string, boolean>();
    const has = (p: string) => exists.get(p) ?? Boolean(this.docs.get(p)?.data);
    for (const w of tx.writes) {
      if (w.kind === 'create' && has(w.path)) throw new FakeFirestoreError(ALREADY_EXISTS, `ALREADY_EXISTS: ${w.path}`);
      if (w.kind === 'update' && !has(w.path)) throw new FakeFirestoreError(NOT_FOUND, `NOT_FOUND: No document to update: ${w.path}`);
      exists.set(w.path, w.kind !== 'delete');
    }
    const rev = ++this.seq;
    for (const w of tx.writes) {
      const before = this.docs.get(w.path)?.data ?? {};
      const data = w.kind === 'delete' ? null : w.kind === 'update' ? { ...before, ...w.data } : w.data;
      this.docs.set(w.path, { rev, data });
    }
    this.stats.commits++;
  }
}

class FakeDocRef implements FsDocumentRef {
  constructor(readonly db: FakeFirestore, readonly path: string, readonly id: string) {}

  async get(): Promise<FsSnapshot> {
    await this.db.io();
    return this.db.read(this.path).snapshot;
  }
}

class FakeTransaction implements FsTransaction {
  readonly reads = new Map<string, number>();
  readonly writes: Write[] = [];
  constructor(private readonly db: FakeFirestore) {}

  async get(ref: FsDocumentRef): Promise<FsSnapshot> {
    if (this.writes.length > 0) throw new Error(READ_AFTER_WRITE);
    const path = pathOf(ref, this.db);
    await this.db.io();
    const { rev, snapshot } = this.db.read(path);
    if (!this.reads.has(path)) this.reads.set(path, rev);
    return snapshot;
  }

  create(ref: FsDocumentRef, data: FsData): this {
    return this.write('create', ref, data);
  }
  set(ref: FsDocumentRef, data: FsData): this {
    return this.write('set', ref, data);
  }
  update(ref: FsDocumentRef, data: FsData): this {
    return this.write('update', ref, data);
  }
  delete(ref: FsDocumentRef): this {
    return this.write('delete', ref, null);
  }

  private write(kind: Write['kind'], ref: FsDocumentRef, data: FsData | null): this {
    if (data !== null) checkValue(data, 'data');
    this.writes.push({ kind, path: pathOf(ref, this.db), data: data && structuredClone(data) });
    return this;
  }
}

function pathOf(ref: FsDocumentRef, db: FakeFirestore): string {
  if (!(ref instanceof FakeDocRef) || ref.db !== db) throw new Error('a DocumentReference of another Firestore instance');
  return ref.path;
}

function checkPath(path: string): string[] {
  const segments = path.split('/');
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..' || /^__.*__$/.test(s) || Buffer.byteLength(s) > 1500) {
      throw new FakeFirestoreError(3, `INVALID_ARGUMENT: invalid path segment "${s}" in "${path}"`);
    }
  }
  return segments;
}

function checkValue(value: unknown, at: string): void {
  if (value === undefined) throw new Error(`Cannot use "undefined" as a Firestore value (found in field "${at}")`);
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) checkValue(v, `${at}.${k}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
