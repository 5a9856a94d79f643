import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { docId, FirestoreTokenStore } from '../../src/tokens/firestore-store.js';
import { openTokenStore } from '../../src/tokens/open-store.js';
import { StoreCorruptError, StoreUnavailableError, VersionConflictError, type TokenWrite } from '../../src/tokens/store.js';
import { FakeFirestore } from '../helpers/firestore-fake.js';
import { runStoreContract, tokens } from './contract.js';
import { randomKey, recordingLogger } from './helpers.js';

/**
 * The Firestore store over the in-process fake (no Firestore or emulator is reachable here). The fake's own
 * behaviour is tested first, since the store's tests are only worth what the fake imitates.
 */

interface Made {
  db: FakeFirestore;
  key: Buffer;
}
const made = new WeakMap<object, Made>();

runStoreContract(
  'firestore (fake)',
  async (clock) => {
    const db = new FakeFirestore();
    const key = randomKey();
    const store = new FirestoreTokenStore({ firestore: db, collection: 'offpeak', key, clock });
    made.set(store, { db, key });
    return { store, cleanup: async () => undefined };
  },
  {
    makePeer: async (first, clock) => {
      const { db, key } = made.get(first)!;
      return new FirestoreTokenStore({ firestore: db, collection: 'offpeak', key, clock });
    },
  },
);

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: number }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
}

describe('the Firestore fake', () => {
  let db: FakeFirestore;
  beforeEach(() => {
    db = new FakeFirestore();
  });
  const doc = (id = 'd') => db.collection('c').doc(id);

  it('retries a transaction whose read document changed before its commit, and loses no increment', async () => {
    const ref = doc();
    const increment = () =>
      db.runTransaction(
        async (tx) => {
          const n = ((await tx.get(ref)).data()?.n as number | undefined) ?? 0;
          tx.set(ref, { n: n + 1 });
        },
        { maxAttempts: 100 },
      );
    await Promise.all(Array.from({ length: 20 }, increment));
    expect((await ref.get()).data()).toEqual({ n: 20 });
    expect(db.stats.aborted).toBeGreaterThan(0);
    expect(db.stats.commits).toBe(20);
  });

  it('gives up with ABORTED after maxAttempts', async () => {
    const ref = doc();
    let attempts = 0;
    const err = await rejection(
      db.runTransaction(
        async (tx) => {
          attempts++;
          await tx.get(ref);
          await db.runTransaction(async (other) => void other.set(ref, { at: attempts })); // someone else writes
          tx.set(ref, { mine: true });
        },
        { maxAttempts: 3 },
      ),
    );
    expect(err.code).toBe(10);
    expect(attempts).toBe(3);
    expect((await ref.get()).data()).toEqual({ at: 3 });
  });

  it('throws when a transaction reads after writing, like the client', async () => {
    const err = await rejection(
      db.runTransaction(async (tx) => {
        tx.set(doc('a'), { x: 1 });
        await tx.get(doc('b'));
      }),
    );
    expect(err.message).toMatch(/all reads to be executed before all writes/);
    expect((await doc('a').get()).exists).toBe(false);
  });

  it('fails create on an existing document and update on a missing one, without retrying, all-or-nothing', async () => {
    await db.runTransaction(async (tx) => void tx.create(doc('a'), { v: 1 }));
    const before = db.stats.attempts;
    const exists = await rejection(
      db.runTransaction(async (tx) => {
        tx.set(doc('b'), { v: 2 });
        tx.create(doc('a'), { v: 3 });
      }),
    );
    expect(exists.code).toBe(6);
    expect(db.stats.attempts).toBe(before + 1);
    expect((await doc('b').get()).exists).toBe(false);
    expect((await rejection(db.runTransaction(async (tx) => void tx.update(doc('zz'), { v: 1 })))).code).toBe(5);
    expect((await doc('a').get()).data()).toEqual({ v: 1 });
  });

  it('does not retry errors of the update function, and rejects bad paths and undefined values', async () => {
    let calls = 0;
    const err = await rejection(
      db.runTransaction(async () => {
        calls++;
        throw new VersionConflictError('k', 1, 2);
      }),
    );
    expect(err).toBeInstanceOf(VersionConflictError);
    expect(calls).toBe(1);
    for (const id of ['a/b', '.', '..', '__x__', '']) expect(() => doc(id)).toThrow();
    expect(() => db.collection('c/d')).toThrow(/odd number/);
    await expect(db.runTransaction(async (tx) => void tx.set(doc(), { x: undefined }))).rejects.toThrow(/undefined/);
  });

  it('lists only existing documents directly in a collection, and hands out copies', async () => {
    await db.runTransaction(async (tx) => {
      tx.set(doc('a'), { nested: { v: 1 } });
      tx.set(db.collection('c/a/sub').doc('x'), { v: 2 });
      tx.set(doc('gone'), { v: 3 });
    });
    await db.runTransaction(async (tx) => void tx.delete(doc('gone')));
    expect((await db.collection('c').listDocuments()).map((r) => r.id)).toEqual(['a']);
    const snap = await doc('a').get();
    (snap.data()!.nested as { v: number }).v = 99;
    expect((await doc('a').get()).data()).toEqual({ nested: { v: 1 } });
  });
});

const secretWrite: TokenWrite = { tokens: tokens('SECRET-7f3a9'), status: 'ok', statusReason: null };
const secrets = [secretWrite.tokens.refreshToken, secretWrite.tokens.accessToken!];

describe('FirestoreTokenStore (over the fake)', () => {
  let db: FakeFirestore;
  let key: Buffer;
  let store: FirestoreTokenStore;
  beforeEach(() => {
    db = new FakeFirestore();
    key = randomKey();
    store = new FirestoreTokenStore({ firestore: db, collection: 'offpeak', key, clock: new ManualClock() });
  });
  afterEach(async () => store.close());

  it('loses no update under many concurrent CAS increments, and the transactions really retried', async () => {
    const writers = 12;
    const perWriter = 5;
    let conflicts = 0;
    const worker = async () => {
      for (let done = 0; done < perWriter; ) {
        const doc = await store.getState<number>('counter');
        try {
          await store.putState('counter', (doc?.value ?? 0) + 1, doc?.version ?? 0);
          done++;
        } catch (err) {
          if (!(err instanceof VersionConflictError || err instanceof StoreUnavailableError)) throw err;
          conflicts++;
        }
      }
    };
    await Promise.all(Array.from({ length: writers }, worker));
    expect(await store.getState('counter')).toMatchObject({ value: writers * perWriter, version: writers * perWriter });
    expect(conflicts).toBeGreaterThan(0);
    expect(db.stats.aborted).toBeGreaterThan(0); // commits collided and runTransaction ran them again
  });

  it('keeps its documents where the layout says, with the tokens sealed', async () => {
    await store.put('konto-ż@example.com', secretWrite, 0);
    await store.acquireLease('konto-ż@example.com', 'worker-a', 1000);
    await store.putState('vehicle:1', { soc: 50 }, 0);
    const docs = db.dump();
    expect([...docs.keys()].sort()).toEqual([
      `offpeak/store/accounts/${docId('account', 'konto-ż@example.com')}`,
      `offpeak/store/leases/${docId('account', 'konto-ż@example.com')}`,
      'offpeak/store/state/vehicle%3A1',
    ]);
    const all = JSON.stringify([...docs.values()]);
    for (const secret of secrets) {
      for (const encoded of [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex')]) {
        expect(all).not.toContain(encoded);
      }
    }
    expect(all).toContain('"sealedTokens":"{\\"offpeak\\":\\"sealed\\"');
  });

  it('turns any account or key into a legal document id and back', async () => {
    const names = ['.', '..', '__x__', 'a/b', 'a%2Fb', 'ü ñ', '_', '~!*()'];
    for (const [i, n] of names.entries()) {
      expect(docId('account', n)).toMatch(/^[A-Za-z0-9%-]+$/);
      await store.put(n, { tokens: tokens(String(i)), status: 'ok' }, 0);
      await store.putState(n, i, 0);
    }
    expect(await store.listAccounts()).toEqual([...names].sort());
    for (const [i, n] of names.entries()) {
      expect((await store.get(n))?.tokens).toEqual(tokens(String(i)));
      expect((await store.getState(n))?.value).toBe(i);
    }
  });

  it('refuses a wrong key and a sealed value moved to another account with StoreCorruptError', async () => {
    await store.put('acct', secretWrite, 0);
    await store.put('other', { ...secretWrite, tokens: tokens('other') }, 0);
    const wrong = new FirestoreTokenStore({ firestore: db, collection: 'offpeak', key: randomKey() });
    const err = await rejection(wrong.get('acct'));
    expect(err).toBeInstanceOf(StoreCorruptError);
    expect(err.message).toContain('wrong TOKEN_ENCRYPTION_KEY');
    for (const hidden of [...secrets, key.toString('base64')]) expect(err.message).not.toContain(hidden);
    // Copy acct's sealed tokens onto "other" (as someone with database access could).
    const acct = db.dump().get('offpeak/store/accounts/acct')!;
    await db.runTransaction(async (tx) => void tx.update(db.collection('offpeak/store/accounts').doc('other'), { sealedTokens: acct.sealedTokens }));
    expect(await rejection(store.get('other'))).toBeInstanceOf(StoreCorruptError);
  });

  it('reports an outage as StoreUnavailableError, after the client retried', async () => {
    await store.put('acct', secretWrite, 0);
    db.unavailable = true;
    const before = db.stats.attempts;
    const calls = [() => store.get('acct'), () => store.put('acct', secretWrite, 1), () => store.acquireLease('acct', 'h', 1000)];
    for (const call of calls) {
      const err = await rejection(call());
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(err.message).toMatch(/Firestore token store \(collection "offpeak"\) \[14\]|UNAVAILABLE/);
    }
    expect(db.stats.attempts - before).toBe(2 * 5); // put and acquireLease: 5 attempts each
    db.unavailable = false;
    expect((await store.get('acct'))?.version).toBe(1);
  });

  it('refuses malformed writes and bad collection names, logs nothing normally, and rejects use after close', async () => {
    const bad = { tokens: { refreshToken: 'x' }, status: 'ok' } as unknown as TokenWrite;
    expect(await rejection(store.put('acct', bad, 0))).toBeInstanceOf(TypeError);
    expect(await rejection(store.putState('k', undefined, 0))).toBeInstanceOf(TypeError);
    expect(await rejection(store.acquireLease('acct', 'h', 0))).toBeInstanceOf(RangeError);
    expect(await rejection(store.put('', secretWrite, 0))).toBeInstanceOf(TypeError);
    for (const collection of ['', 'a/b', '__x__', 'x'.repeat(101)]) {
      expect(() => new FirestoreTokenStore({ firestore: db, collection, key })).toThrow(/collection name/);
    }
    const { logger, lines } = recordingLogger();
    const quiet = new FirestoreTokenStore({ firestore: db, collection: 'offpeak', key, logger });
    await quiet.put('acct', secretWrite, 0);
    await quiet.acquireLease('acct', 'h', 1000);
    expect(lines).toEqual([]);
    await quiet.close();
    await expect(quiet.get('acct')).rejects.toThrow(/closed/);
  });
});

describe('openTokenStore("firestore:COLLECTION")', () => {
  const key = randomKey().toString('base64');

  it('makes a FirestoreTokenStore on the real client without connecting', async () => {
    const saved = process.env.GOOGLE_CLOUD_PROJECT;
    process.env.GOOGLE_CLOUD_PROJECT = 'offpeak-offline-test';
    try {
      const store = await openTokenStore('firestore:offpeak', { encryptionKey: key });
      expect(store.kind).toBe('firestore');
      expect((store as FirestoreTokenStore).collection).toBe('offpeak');
      await store.close();
    } finally {
      if (saved === undefined) delete process.env.GOOGLE_CLOUD_PROJECT;
      else process.env.GOOGLE_CLOUD_PROJECT = saved;
    }
  });

  it('needs TOKEN_ENCRYPTION_KEY and a valid collection name', async () => {
    await expect(openTokenStore('firestore:offpeak')).rejects.toThrow(/needs TOKEN_ENCRYPTION_KEY.*openssl rand -base64 32/);
    for (const spec of ['firestore:', 'firestore:a/b', 'firestore:__x__', 'firestore:with space']) {
      await expect(openTokenStore(spec, { encryptionKey: key })).rejects.toThrow(/collection name must be/);
    }
  });
});
