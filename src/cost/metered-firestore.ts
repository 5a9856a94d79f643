import type { FirestoreLike, FsCollectionRef, FsData, FsDocumentRef, FsSnapshot, FsTransaction } from '../tokens/firestore-store.js';

/**
 * A single-process, in-memory stand-in for the slice of Firestore that FirestoreTokenStore uses, which counts
 * what Firestore would bill: document reads, writes and deletes, per day. Running the real FirestoreTokenStore
 * on it means the month's store counters come from the store's actual calls, not from a formula.
 *
 * Billing rules applied (Firestore pricing page, see docs/cost.md): a `get` of a document is one read, also
 * when the document does not exist; each document created, set or updated in a committed transaction is one
 * write; each deleted document one delete; `listDocuments` is one read per document returned (at least one).
 * One process, so transactions never contend here and run exactly once.
 */
export interface FirestoreOps {
  reads: number;
  writes: number;
  deletes: number;
}

export class MeteredFirestore implements FirestoreLike {
  private readonly docs = new Map<string, FsData>();
  readonly total: FirestoreOps = { reads: 0, writes: 0, deletes: 0 };
  /** Per day of the simulated month (Firestore's free tier is daily). */
  readonly byDay: FirestoreOps[] = [];

  constructor(private readonly dayOf: () => number) {}

  /** Forgets the counts (not the documents): setup is not part of the month being measured. */
  reset(): void {
    this.total.reads = this.total.writes = this.total.deletes = 0;
    this.byDay.length = 0;
  }

  private count(kind: keyof FirestoreOps, n = 1): void {
    this.total[kind] += n;
    const day = this.dayOf();
    while (this.byDay.length <= day) this.byDay.push({ reads: 0, writes: 0, deletes: 0 });
    this.byDay[day]![kind] += n;
  }

  private snapshot(path: string): FsSnapshot {
    const data = this.docs.get(path);
    const copy = data === undefined ? undefined : structuredClone(data);
    return { exists: copy !== undefined, data: () => copy };
  }

  private ref(path: string): FsDocumentRef & { path: string } {
    return {
      path,
      id: path.slice(path.lastIndexOf('/') + 1),
      get: async () => {
        this.count('reads');
        return this.snapshot(path);
      },
    };
  }

  collection(path: string): FsCollectionRef {
    return {
      doc: (id: string) => this.ref(`${path}/${id}`),
      listDocuments: async () => {
        const prefix = `${path}/`;
        const refs = [...this.docs.keys()].filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/')).map((k) => this.ref(k));
        this.count('reads', Math.max(1, refs.length));
        return refs;
      },
    };
  }

  async runTransaction<T>(fn: (tx: FsTransaction) => Promise<T>): Promise<T> {
    const pending: Array<() => void> = [];
    const pathOf = (ref: FsDocumentRef) => (ref as FsDocumentRef & { path: string }).path;
    const tx: FsTransaction = {
      get: async (ref) => {
        this.count('reads');
        return this.snapshot(pathOf(ref));
      },
      create: (ref, data) => void pending.push(() => this.write(pathOf(ref), data, 'create')),
      set: (ref, data) => void pending.push(() => this.write(pathOf(ref), data, 'set')),
      update: (ref, data) => void pending.push(() => this.write(pathOf(ref), data, 'update')),
      delete: (ref) =>
        void pending.push(() => {
          this.docs.delete(pathOf(ref));
          this.count('deletes');
        }),
    };
    const result = await fn(tx);
    for (const apply of pending) apply();
    return result;
  }

  private write(path: string, data: FsData, mode: 'create' | 'set' | 'update'): void {
    const exists = this.docs.has(path);
    // The same failures Firestore's commit gives, so a store bug would not be hidden by a lenient fake.
    if (mode === 'create' && exists) throw Object.assign(new Error('ALREADY_EXISTS'), { code: 6 });
    if (mode === 'update' && !exists) throw Object.assign(new Error('NOT_FOUND'), { code: 5 });
    this.docs.set(path, mode === 'update' ? { ...this.docs.get(path), ...structuredClone(data) } : structuredClone(data));
    this.count('writes');
  }
}
