import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTokenStore } from '../../src/tokens/file-store.js';
import { parseEncryptionKey } from '../../src/tokens/crypto.js';
import { openTokenStore } from '../../src/tokens/open-store.js';
import { race, startChild, type Child } from './children.js';
import { tempDir } from './helpers.js';

/** Several real processes on one store file: what the file lock and the CAS are for. */
describe('FileTokenStore across processes', () => {
  const CHILDREN = 4;
  let dir: string;
  let remove: () => Promise<void>;
  let path: string;
  const started: Child[] = [];

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    path = join(dir, 'store.json');
  });
  afterEach(async () => {
    for (const child of started.splice(0)) child.process.kill('SIGKILL');
    await remove();
  });

  it('loses no update when processes race to increment a counter (and agree on a generated key)', async () => {
    const perChild = 15;
    // No key given: every child also races to create the key file; a disagreement would fail decryption.
    const children = await race(Array.from({ length: CHILDREN }, () => ['count', path, String(perChild)]), '');
    started.push(...children);
    const results = await Promise.all(children.map((c) => c.result<{ successes: number; conflicts: number }>()));

    const total = results.reduce((sum, r) => sum + r.successes, 0);
    const store = await openTokenStore(`file:${path}`);
    const doc = await store.getState<number>('counter');
    expect(doc?.value).toBe(total);
    expect(doc?.version).toBe(CHILDREN * perChild);
    expect((await readdir(dir)).sort()).toEqual(['store.json', 'store.json.key']); // no temp, no lock left
  }, 60_000);

  it('never has two lease holders at once', async () => {
    const key = randomBytes(32).toString('base64');
    const perChild = 8;
    const args = Array.from({ length: CHILDREN }, (_, i) => ['lease', path, String(perChild), `holder-${i}`]);
    const children = await race(args, key);
    started.push(...children);
    type LeaseResult = { grants: number; violations: number; intervals: [number, number][] };
    const results = await Promise.all(children.map((c) => c.result<LeaseResult>()));

    expect(results.map((r) => r.violations)).toEqual(Array(CHILDREN).fill(0));
    const intervals = results.flatMap((r) => r.intervals).sort((a, b) => a[0] - b[0]);
    expect(intervals).toHaveLength(CHILDREN * perChild);
    // Each interval lies inside its holder's lease, so an overlap would prove two holders at once.
    for (let i = 1; i < intervals.length; i++) expect(intervals[i]![0]).toBeGreaterThanOrEqual(intervals[i - 1]![1]);
    const store = new FileTokenStore({ path, key: parseEncryptionKey(key) });
    const owner = await store.getState<string | null>('owner');
    expect(owner).toMatchObject({ value: null, version: 2 * CHILDREN * perChild });
    expect(await store.getLease('acct')).toBeNull();
  }, 60_000);

  it('recovers from a writer killed with SIGKILL while holding the file lock', async () => {
    const staleMs = 3000;
    const store = new FileTokenStore({ path, key: randomBytes(32), lockStaleMs: staleMs });
    const holder = startChild(['hold-lock', path], '');
    started.push(holder);
    await holder.waitFor('ready');
    holder.process.stdin!.end('go\n');
    await holder.waitFor('locked');
    holder.process.kill('SIGKILL');
    await new Promise((resolve) => holder.process.once('exit', resolve));
    expect((await stat(store.lockPath)).isDirectory()).toBe(true); // the dead holder's lock is still there

    const began = Date.now();
    const doc = await store.putState('after-crash', true, 0);
    const waited = Date.now() - began;
    expect(doc.version).toBe(1);
    expect(waited).toBeGreaterThan(500); // it really was blocked by the dead holder's lock ...
    expect(waited).toBeLessThan(staleMs + 3000); // ... but not for much longer than the stale threshold
    expect(await readdir(dir)).toEqual(['store.json']);
  }, 30_000);
});
