import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lock } from 'proper-lockfile';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { FileTokenStore } from '../../src/tokens/file-store.js';
import { StoreCorruptError, StoreUnavailableError, type TokenWrite } from '../../src/tokens/store.js';
import { runStoreContract, tokens } from './contract.js';
import { allFiles, randomKey, recordingLogger, tempDir } from './helpers.js';

/** The key each contract store was made with, so its peer opens the same file with the same key. */
const keyOfStore = new WeakMap<object, Buffer>();

runStoreContract(
  'file',
  async (clock) => {
    const { dir, remove } = await tempDir();
    const key = randomKey();
    const store = new FileTokenStore({ path: join(dir, 'store.json'), key, clock });
    keyOfStore.set(store, key);
    return { store, cleanup: remove };
  },
  {
    makePeer: async (first, clock) =>
      new FileTokenStore({ path: (first as FileTokenStore).path, key: keyOfStore.get(first)!, clock }),
  },
);

const secretWrite: TokenWrite = { tokens: tokens('SECRET-7f3a9'), status: 'ok', statusReason: null };
const secrets = [secretWrite.tokens.refreshToken, secretWrite.tokens.accessToken!, 'plate-WX-SECRET'];

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
}

describe('FileTokenStore on disk', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let path: string;
  let key: Buffer;
  let store: FileTokenStore;

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    path = join(dir, 'store.json');
    key = randomKey();
    store = new FileTokenStore({ path, key, clock: new ManualClock() });
  });
  afterEach(async () => {
    await store.close();
    await remove();
  });

  it('treats a missing file as an empty store and creates nothing on reads', async () => {
    expect(await store.get('acct')).toBeNull();
    expect(await store.getLease('acct')).toBeNull();
    expect((await allFiles(dir)).size).toBe(0);
  });

  it('never has a token in clear on disk, in any file of its directory', async () => {
    await store.put('acct', secretWrite, 0);
    await store.putState('vehicle', { plate: 'plate-WX-SECRET' }, 0);
    await Promise.allSettled([1, 2, 3].map(() => store.put('acct', secretWrite, 1)));
    const files = await allFiles(dir);
    expect([...files.keys()]).toEqual([path]); // no temp file or lock left behind
    for (const bytes of files.values()) {
      for (const secret of secrets) {
        for (const encoded of [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex')]) {
          expect(bytes.includes(Buffer.from(encoded))).toBe(false);
        }
      }
    }
    expect(files.get(path)!.toString()).toMatch(/^\{"offpeak":"sealed","v":1,/);
  });

  it('writes the file with mode 0600 and creates missing directories with 0700', async () => {
    const nested = join(dir, 'a', 'b', 'store.json');
    const deep = new FileTokenStore({ path: nested, key });
    await deep.put('acct', secretWrite, 0);
    expect((await stat(nested)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'a', 'b'))).mode & 0o777).toBe(0o700);
    await store.putState('x', 1, 0);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('refuses a wrong key with StoreCorruptError, naming neither key nor tokens, and writes nothing', async () => {
    await store.put('acct', secretWrite, 0);
    const before = await readFile(path);
    const other = randomKey();
    const wrong = new FileTokenStore({ path, key: other });
    const err = await rejection(wrong.get('acct'));
    expect(err).toBeInstanceOf(StoreCorruptError);
    expect(err.message).toContain('wrong TOKEN_ENCRYPTION_KEY or damaged file');
    expect(err.message).toContain(path);
    for (const hidden of [...secrets, key.toString('base64'), other.toString('base64'), key.toString('hex')]) {
      expect(err.message).not.toContain(hidden);
    }
    expect(await rejection(wrong.put('acct', secretWrite, 1))).toBeInstanceOf(StoreCorruptError);
    expect(await rejection(wrong.acquireLease('acct', 'h', 1000))).toBeInstanceOf(StoreCorruptError);
    expect(await readFile(path)).toEqual(before);
  });

  it('detects a changed byte in the ciphertext, tag or nonce, truncation and garbage', async () => {
    await store.put('acct', secretWrite, 0);
    const original = await readFile(path, 'utf8');
    const envelope = JSON.parse(original) as Record<string, string>;
    const flipped = (field: string): string => {
      const bytes = Buffer.from(envelope[field]!, 'base64');
      bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
      return JSON.stringify({ ...envelope, [field]: bytes.toString('base64') });
    };
    const damaged = [flipped('data'), flipped('tag'), flipped('iv'), original.slice(0, -20), 'not a store', ''];
    for (const content of damaged) {
      await writeFile(path, content);
      expect(await rejection(store.get('acct'))).toBeInstanceOf(StoreCorruptError);
    }
    await writeFile(path, original);
    expect((await store.get('acct'))?.tokens).toEqual(secretWrite.tokens);
  });

  it('reports I/O failures as StoreUnavailableError with the path', async () => {
    await mkdir(path); // the store path is a directory: unreadable and not replaceable
    const read = await rejection(store.get('acct'));
    expect(read).toBeInstanceOf(StoreUnavailableError);
    expect(read.message).toContain(path);
    await writeFile(join(dir, 'plain-file'), 'x');
    const blocked = new FileTokenStore({ path: join(dir, 'plain-file', 'store.json'), key });
    expect(await rejection(blocked.put('acct', secretWrite, 0))).toBeInstanceOf(StoreUnavailableError);
  });

  it('serves reads while another process holds the lock, and fails writes after lockWaitMs', async () => {
    await store.put('acct', secretWrite, 0);
    const impatient = new FileTokenStore({ path, key, lockWaitMs: 300, clock: new ManualClock() });
    await store.acquireLease('acct', 'worker-1', 60_000);
    const release = await lock(path, { lockfilePath: impatient.lockPath, realpath: false });
    // Reads and refusals are decided without the lock, so they answer at once.
    expect((await impatient.get('acct'))?.version).toBe(1);
    expect(await impatient.acquireLease('acct', 'worker-2', 1000)).toBeNull();
    const err = await rejection(impatient.put('acct', secretWrite, 1));
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toContain('locked');
    await release();
    expect((await impatient.put('acct', secretWrite, 1)).version).toBe(2);
  });

  it('refuses malformed writes before they can damage the file', async () => {
    await store.put('acct', secretWrite, 0);
    const bad = { tokens: { refreshToken: 'x' }, status: 'ok' } as unknown as TokenWrite;
    expect(await rejection(store.put('acct', bad, 1))).toBeInstanceOf(TypeError);
    expect(await rejection(store.putState('k', undefined, 0))).toBeInstanceOf(TypeError);
    expect(await rejection(store.acquireLease('acct', 'h', 0))).toBeInstanceOf(RangeError);
    expect(await rejection(store.put('', secretWrite, 0))).toBeInstanceOf(TypeError);
    expect((await store.get('acct'))?.version).toBe(1);
  });

  it('keeps what it wrote for a new instance (another start of the process)', async () => {
    await store.put('acct', secretWrite, 0);
    await store.acquireLease('acct', 'worker-1', 60_000);
    const restarted = new FileTokenStore({ path, key, clock: new ManualClock() });
    expect((await restarted.get('acct'))?.tokens).toEqual(secretWrite.tokens);
    expect((await restarted.getLease('acct'))?.holder).toBe('worker-1');
  });

  it('rejects use after close', async () => {
    await store.close();
    await expect(store.get('acct')).rejects.toThrow(/closed/);
    await expect(store.put('acct', secretWrite, 0)).rejects.toThrow(/closed/);
  });

  it('logs nothing while working normally', async () => {
    const { logger, lines } = recordingLogger();
    const quiet = new FileTokenStore({ path, key, logger });
    await quiet.put('acct', secretWrite, 0);
    await quiet.acquireLease('acct', 'h', 1000);
    expect(lines).toEqual([]);
  });
});
