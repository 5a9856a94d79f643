import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { VersionConflictError, type TokenSet, type TokenStore, type TokenWrite } from '../../src/tokens/store.js';

/**
 * The contract every TokenStore backend must pass (file, PostgreSQL, Firestore run this same file).
 * It pins down the semantics the TokenBroker relies on: CAS versions, leases with expiry by the injected
 * clock, state documents, and that concurrent writers (same process or a peer instance) cannot both win.
 */

export interface StoreUnderTest {
  store: TokenStore;
  /** Removes whatever the backend created for this test (temp dir, schema, collection). */
  cleanup: () => Promise<void>;
}

export interface StoreContractOptions {
  /**
   * A second, independent instance on the same data as `first`, as another process would open it. Its
   * leases are judged by the same clock. Without it the peer tests are skipped.
   */
  makePeer?: (first: TokenStore, clock: ManualClock) => Promise<TokenStore>;
  /** How many concurrent writers the race tests start (default 8). */
  parallelism?: number;
}

export function tokens(tag: string): TokenSet {
  return {
    refreshToken: `rt-${tag}-${'r'.repeat(20)}`,
    accessToken: `at-${tag}-${'a'.repeat(20)}`,
    accessExpiresAt: Date.parse('2026-01-01T08:00:00Z'),
    accessIssuedAt: Date.parse('2026-01-01T00:00:00Z'),
  };
}

const ok = (tag: string): TokenWrite => ({ tokens: tokens(tag), status: 'ok' });

async function conflictOf(promise: Promise<unknown>): Promise<VersionConflictError> {
  const error = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(VersionConflictError);
  return error as VersionConflictError;
}

export function runStoreContract(
  name: string,
  makeStore: (clock: ManualClock) => Promise<StoreUnderTest>,
  options: StoreContractOptions = {},
): void {
  const n = options.parallelism ?? 8;

  describe(`TokenStore contract: ${name}`, () => {
    let clock: ManualClock;
    let store: TokenStore;
    let cleanup: () => Promise<void>;
    const peers: TokenStore[] = [];

    beforeEach(async () => {
      clock = new ManualClock();
      ({ store, cleanup } = await makeStore(clock));
    });
    afterEach(async () => {
      for (const peer of peers.splice(0)) await peer.close();
      await store.close();
      await cleanup();
    });

    describe('records', () => {
      it('has nothing before the first write', async () => {
        expect(await store.get('acct')).toBeNull();
        expect(await store.listAccounts()).toEqual([]);
        expect(typeof store.kind).toBe('string');
      });

      it('creates version 1 on put with expected version 0', async () => {
        const record = await store.put('acct', ok('one'), 0);
        expect(record).toEqual({
          account: 'acct',
          version: 1,
          tokens: tokens('one'),
          status: 'ok',
          statusReason: null,
          updatedAt: clock.now(),
        });
        expect(await store.get('acct')).toEqual(record);
      });

      it('refuses to create what exists, and writes nothing', async () => {
        const first = await store.put('acct', ok('one'), 0);
        const err = await conflictOf(store.put('acct', ok('two'), 0));
        expect([err.expectedVersion, err.actualVersion]).toEqual([0, 1]);
        expect(await store.get('acct')).toEqual(first);
      });

      it('refuses a stale or future version on update, and writes nothing', async () => {
        await store.put('acct', ok('one'), 0);
        const second = await store.put('acct', ok('two'), 1);
        const stale = await conflictOf(store.put('acct', ok('stale'), 1));
        expect([stale.expectedVersion, stale.actualVersion]).toEqual([1, 2]);
        const future = await conflictOf(store.put('acct', ok('future'), 5));
        expect(future.actualVersion).toBe(2);
        expect(await store.get('acct')).toEqual(second);
      });

      it('refuses an update of a record that does not exist', async () => {
        const err = await conflictOf(store.put('ghost', ok('x'), 3));
        expect(err.actualVersion).toBe(0);
        expect(await store.get('ghost')).toBeNull();
      });

      it('increases the version by one per write and stamps updatedAt from the clock', async () => {
        let version = 0;
        for (let i = 0; i < 5; i++) {
          clock.advance(1000);
          const record = await store.put('acct', ok(`w${i}`), version);
          expect(record.version).toBe(version + 1);
          expect(record.updatedAt).toBe(clock.now());
          version = record.version;
        }
        expect((await store.get('acct'))?.tokens).toEqual(tokens('w4'));
      });

      it('round-trips every field, including nulls and unusual text', async () => {
        const odd: TokenSet = {
          refreshToken: 'EU_rt.ünïcode/+=\n"quoted"\\',
          accessToken: null,
          accessExpiresAt: null,
          accessIssuedAt: null,
        };
        await store.put('konto-ż@example.com', { tokens: odd, status: 'ok', statusReason: 'imported' }, 0);
        const read = await store.get('konto-ż@example.com');
        expect(read).toMatchObject({ tokens: odd, status: 'ok', statusReason: 'imported', version: 1 });
        const full = tokens('full');
        await store.put('konto-ż@example.com', { tokens: full, status: 'ok', statusReason: null }, 1);
        expect((await store.get('konto-ż@example.com'))?.tokens).toEqual(full);
      });

      it('round-trips reauth_required with its reason, and back to ok', async () => {
        await store.put('acct', ok('one'), 0);
        const marked = await store.put(
          'acct',
          { tokens: tokens('one'), status: 'reauth_required', statusReason: 'login_required from Tesla' },
          1,
        );
        expect(await store.get('acct')).toEqual(marked);
        expect(marked).toMatchObject({ status: 'reauth_required', statusReason: 'login_required from Tesla' });
        await store.put('acct', ok('fresh'), 2);
        expect(await store.get('acct')).toMatchObject({ status: 'ok', statusReason: null, version: 3 });
      });

      it('keeps accounts apart and lists them', async () => {
        await store.put('b', ok('b'), 0);
        await store.put('a', ok('a'), 0);
        await store.put('a', ok('a2'), 1);
        expect([...(await store.listAccounts())].sort()).toEqual(['a', 'b']);
        expect(await store.get('b')).toMatchObject({ version: 1, tokens: tokens('b') });
        expect(await store.get('a')).toMatchObject({ version: 2, tokens: tokens('a2') });
      });

      it('hands out copies: changing a returned record changes nothing stored', async () => {
        const record = await store.put('acct', ok('one'), 0);
        record.tokens.refreshToken = 'mutated';
        const read = await store.get('acct');
        read!.tokens.accessToken = 'mutated';
        expect((await store.get('acct'))?.tokens).toEqual(tokens('one'));
      });
    });

    describe('refresh lease', () => {
      it('is granted when nobody holds it, and visible', async () => {
        expect(await store.getLease('acct')).toBeNull();
        const lease = await store.acquireLease('acct', 'worker-a', 30_000);
        expect(lease).toEqual({ account: 'acct', holder: 'worker-a', expiresAt: clock.now() + 30_000 });
        expect(await store.getLease('acct')).toEqual(lease);
      });

      it('is refused to a second holder while live, granted once expired', async () => {
        await store.acquireLease('acct', 'worker-a', 30_000);
        expect(await store.acquireLease('acct', 'worker-b', 30_000)).toBeNull();
        clock.advance(29_999);
        expect(await store.acquireLease('acct', 'worker-b', 30_000)).toBeNull();
        expect((await store.getLease('acct'))?.holder).toBe('worker-a');
        clock.advance(1); // expiresAt reached: "after this the lease no longer counts"
        expect(await store.getLease('acct')).toBeNull();
        const taken = await store.acquireLease('acct', 'worker-b', 10_000);
        expect(taken).toEqual({ account: 'acct', holder: 'worker-b', expiresAt: clock.now() + 10_000 });
        expect(await store.getLease('acct')).toEqual(taken);
      });

      it('is extended when the same holder asks again', async () => {
        const first = await store.acquireLease('acct', 'worker-a', 30_000);
        clock.advance(20_000);
        const again = await store.acquireLease('acct', 'worker-a', 30_000);
        expect(again?.expiresAt).toBe(first!.expiresAt + 20_000);
        clock.advance(15_000); // past the first expiry, inside the extension
        expect(await store.acquireLease('acct', 'worker-b', 30_000)).toBeNull();
      });

      it('is released only by its holder', async () => {
        const lease = await store.acquireLease('acct', 'worker-a', 30_000);
        await store.releaseLease('acct', 'worker-b');
        expect(await store.getLease('acct')).toEqual(lease);
        await store.releaseLease('acct', 'worker-a');
        expect(await store.getLease('acct')).toBeNull();
        expect(await store.acquireLease('acct', 'worker-b', 30_000)).not.toBeNull();
        await store.releaseLease('nobody-holds-this', 'worker-a'); // a no-op, not an error
      });

      it('is per account and leaves the record alone', async () => {
        await store.put('a', ok('a'), 0);
        await store.acquireLease('a', 'worker-a', 30_000);
        expect(await store.acquireLease('b', 'worker-b', 30_000)).not.toBeNull();
        expect(await store.get('a')).toMatchObject({ version: 1 });
      });
    });

    describe('state documents', () => {
      it('supports compare-and-swap like records', async () => {
        expect(await store.getState('vehicle:1')).toBeNull();
        const value = { plugged: true, soc: 54, windows: [{ from: '22:00', to: '06:00' }], note: null };
        const created = await store.putState('vehicle:1', value, 0);
        expect(created).toEqual({ version: 1, value, updatedAt: clock.now() });
        expect(await store.getState('vehicle:1')).toEqual(created);

        const onCreate = await conflictOf(store.putState('vehicle:1', { plugged: false }, 0));
        expect(onCreate.actualVersion).toBe(1);
        clock.advance(500);
        const updated = await store.putState('vehicle:1', { plugged: false }, 1);
        expect(updated).toEqual({ version: 2, value: { plugged: false }, updatedAt: clock.now() });
        await conflictOf(store.putState('vehicle:1', { plugged: true }, 1));
        expect(await store.getState('vehicle:1')).toEqual(updated);
      });

      it('keeps documents apart from each other and from accounts', async () => {
        await store.putState('a', 1, 0);
        await store.putState('b', 'two', 0);
        expect((await store.getState<number>('a'))?.value).toBe(1);
        expect((await store.getState<string>('b'))?.value).toBe('two');
        expect(await store.get('a')).toBeNull();
        expect(await store.listAccounts()).toEqual([]);
      });
    });

    describe('concurrency within one process', () => {
      it(`lets exactly one of ${n} parallel creators win`, async () => {
        const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => store.put('acct', ok(`c${i}`), 0)));
        const won = results.filter((r) => r.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(VersionConflictError);
        expect(await store.get('acct')).toEqual((won[0] as PromiseFulfilledResult<unknown>).value);
      });

      it(`lets exactly one of ${n} parallel updaters from the same version win`, async () => {
        await store.put('acct', ok('base'), 0);
        const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => store.put('acct', ok(`u${i}`), 1)));
        const won = results.filter((r) => r.status === 'fulfilled');
        expect(won).toHaveLength(1);
        const record = await store.get('acct');
        expect(record?.version).toBe(2);
        expect(record).toEqual((won[0] as PromiseFulfilledResult<unknown>).value);
      });

      it(`grants exactly one lease to ${n} parallel acquirers`, async () => {
        const leases = await Promise.all(Array.from({ length: n }, (_, i) => store.acquireLease('acct', `h${i}`, 30_000)));
        const granted = leases.filter((l) => l !== null);
        expect(granted).toHaveLength(1);
        expect((await store.getLease('acct'))?.holder).toBe(granted[0]!.holder);
      });

      it(`lets exactly one of ${n} parallel state writers win`, async () => {
        await store.putState('counter', 0, 0);
        const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => store.putState('counter', i + 1, 1)));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect((await store.getState('counter'))?.version).toBe(2);
      });
    });

    describe.skipIf(!options.makePeer)('a peer instance on the same backend', () => {
      const peer = async (): Promise<TokenStore> => {
        const made = await options.makePeer!(store, clock);
        peers.push(made);
        return made;
      };

      it("sees the first instance's records, state and lease", async () => {
        const other = await peer();
        const record = await store.put('acct', ok('one'), 0);
        await store.putState('vehicle:1', { soc: 10 }, 0);
        const lease = await store.acquireLease('acct', 'worker-a', 30_000);
        expect(await other.get('acct')).toEqual(record);
        expect(await other.listAccounts()).toEqual(['acct']);
        expect((await other.getState('vehicle:1'))?.value).toEqual({ soc: 10 });
        expect(await other.getLease('acct')).toEqual(lease);
        expect(await other.acquireLease('acct', 'worker-b', 30_000)).toBeNull();
      });

      it('cannot overwrite with a stale version, and sees releases', async () => {
        const other = await peer();
        await store.put('acct', ok('one'), 0);
        await other.put('acct', ok('two'), 1);
        await conflictOf(store.put('acct', ok('stale'), 1));
        expect((await store.get('acct'))?.tokens).toEqual(tokens('two'));
        await other.acquireLease('acct', 'worker-b', 30_000);
        expect(await store.acquireLease('acct', 'worker-a', 30_000)).toBeNull();
        await other.releaseLease('acct', 'worker-b');
        expect(await store.acquireLease('acct', 'worker-a', 30_000)).not.toBeNull();
      });

      it('lets exactly one writer and one lease win across both instances', async () => {
        const other = await peer();
        await store.put('acct', ok('base'), 0);
        const both = [store, other];
        const puts = await Promise.allSettled(
          Array.from({ length: n }, (_, i) => both[i % 2]!.put('acct', ok(`p${i}`), 1)),
        );
        expect(puts.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const leases = await Promise.all(
          Array.from({ length: n }, (_, i) => both[i % 2]!.acquireLease('acct', `h${i}`, 30_000)),
        );
        expect(leases.filter((l) => l !== null)).toHaveLength(1);
      });
    });
  });
}
