import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTokenStore } from '../../src/tokens/file-store.js';
import { defaultStoreSpec, openTokenStore } from '../../src/tokens/open-store.js';
import { tokens } from './contract.js';
import { recordingLogger, tempDir } from './helpers.js';

const envKey = randomBytes(32).toString('base64');

describe('openTokenStore', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(async () => remove());

  it('opens file:PATH relative to the working directory, without touching the disk', async () => {
    const store = await openTokenStore('file:some/dir/store.json', { encryptionKey: envKey });
    expect(store.kind).toBe('file');
    expect((store as FileTokenStore).path).toBe(resolve(process.cwd(), 'some/dir/store.json'));
    await expect(stat(resolve('some'))).rejects.toMatchObject({ code: 'ENOENT' });
    const fromUrl = await openTokenStore(pathToFileURL(join(dir, 's.json')).href, { encryptionKey: envKey });
    expect((fromUrl as FileTokenStore).path).toBe(join(dir, 's.json'));
    expect(defaultStoreSpec).toBe('file:.offpeak/store.json');
  });

  it('uses the given key and creates no key file then', async () => {
    const spec = `file:${join(dir, 'store.json')}`;
    const store = await openTokenStore(spec, { encryptionKey: envKey });
    await store.putState('k', 1, 0);
    expect(await readdir(dir)).toEqual(['store.json']);
    await expect(openTokenStore(spec, { encryptionKey: 'short' })).rejects.toThrow(/openssl rand -base64 32/);
  });

  it('generates a 0600 key file beside the store, reuses it, and warns once', async () => {
    const { logger, lines } = recordingLogger();
    const spec = `file:${join(dir, 'nested', 'store.json')}`;
    const first = await openTokenStore(spec, { logger });
    await first.put('acct', { tokens: tokens('k'), status: 'ok' }, 0);
    const keyPath = join(dir, 'nested', 'store.json.key');
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(keyPath, 'utf8')).trim(), 'base64')).toHaveLength(32);

    const second = await openTokenStore(spec, { logger });
    expect((await second.get('acct'))?.tokens).toEqual(tokens('k'));
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('TOKEN_ENCRYPTION_KEY');
    expect(JSON.stringify(warnings)).not.toContain((await readFile(keyPath, 'utf8')).trim());
  });

  it('agrees on one key when many open a new store at once', async () => {
    const spec = `file:${join(dir, 'store.json')}`;
    const stores = await Promise.all(Array.from({ length: 12 }, () => openTokenStore(spec)));
    await stores[5]!.putState('k', 'v', 0);
    for (const store of stores) expect((await store.getState('k'))?.value).toBe('v');
    expect((await readdir(dir)).sort()).toEqual(['store.json', 'store.json.key']); // no temp key left
  });

  it('does not invent a key for an existing store written with another key', async () => {
    const spec = `file:${join(dir, 'store.json')}`;
    await (await openTokenStore(spec, { encryptionKey: envKey })).putState('k', 1, 0);
    await expect(openTokenStore(spec)).rejects.toThrow(/exists but TOKEN_ENCRYPTION_KEY is not set/);
    expect(await readdir(dir)).toEqual(['store.json']);
  });

  it('needs TOKEN_ENCRYPTION_KEY for the database backends and never echoes credentials', async () => {
    for (const spec of ['postgres://user:hunter2@127.0.0.1:9/offpeak', 'postgresql://user:hunter2@127.0.0.1:9/x']) {
      const err = (await openTokenStore(spec).catch((e: Error) => e)) as Error;
      expect(err.message).toMatch(/TOKEN_ENCRYPTION_KEY/);
      expect(err.message).not.toContain('hunter2');
    }
    await expect(openTokenStore('firestore:tokens')).rejects.toThrow(/TOKEN_ENCRYPTION_KEY/);
  });

  it('lists the accepted forms for anything else', async () => {
    for (const spec of ['', 'mysql://root:hunter2@db', 'store.json', 'file:']) {
      const err = (await openTokenStore(spec).catch((e: Error) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(/TOKEN_STORE/);
      expect(err.message).not.toContain('hunter2');
      if (spec !== 'file:') expect(err.message).toContain('file:PATH, postgres://');
    }
  });
});
