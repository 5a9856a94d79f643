import { randomBytes } from 'node:crypto';
import { link, mkdir, open as openFile, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import { parseEncryptionKey } from './crypto.js';
import { FileTokenStore } from './file-store.js';
import { StoreUnavailableError, type TokenStore } from './store.js';

/** Where the embedded store lives when TOKEN_STORE is not set (relative to the working directory). */
export const defaultStoreSpec = 'file:.offpeak/store.json';

export interface OpenStoreOptions {
  /** TOKEN_ENCRYPTION_KEY as given (hex or base64); empty or absent means "use the key file". */
  encryptionKey?: string;
  clock?: Clock;
  logger?: Logger;
}

const ACCEPTED = 'file:PATH, postgres://… (or postgresql://…), firestore:COLLECTION';

/** Opens the store that TOKEN_STORE names. */
export async function openTokenStore(spec: string, opts: OpenStoreOptions = {}): Promise<TokenStore> {
  const logger = opts.logger ?? silentLogger;
  const text = spec.trim();
  if (text.startsWith('file:')) {
    const path = storePath(text);
    const key = opts.encryptionKey?.trim()
      ? parseEncryptionKey(opts.encryptionKey)
      : await keyFromKeyFile(path, logger);
    return new FileTokenStore({ path, key, ...(opts.clock && { clock: opts.clock }), logger });
  }
  if (/^postgres(ql)?:\/\//i.test(text)) {
    // The URL may hold a password, so it is never repeated in a message.
    const key = requiredKey(opts.encryptionKey, 'postgres://…');
    const { PostgresTokenStore } = await import('./postgres-store.js');
    const store = new PostgresTokenStore({ connectionString: text, key, ...(opts.clock && { clock: opts.clock }), logger });
    try {
      await store.ready(); // create or migrate the tables now, so a bad URL or a database that is down shows at start
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }
  if (/^firestore:/i.test(text)) {
    const collection = text.slice('firestore:'.length);
    if (!FIRESTORE_COLLECTION.test(collection)) {
      throw new Error(
        `TOKEN_STORE "firestore:${collection.slice(0, 100)}": the collection name must be 1-100 letters, digits, "_" or "-", ` +
          'starting with a letter or digit (e.g. firestore:offpeak)',
      );
    }
    const key = requiredKey(opts.encryptionKey, 'firestore:COLLECTION');
    // Loaded only here, so the file store never loads the Google client (it is large and slow to import).
    const [{ Firestore }, { FirestoreTokenStore }] = await Promise.all([
      import('@google-cloud/firestore'),
      import('./firestore-store.js'),
    ]);
    // The project comes from GOOGLE_CLOUD_PROJECT or the environment's credentials; nothing connects until used.
    const projectId = process.env.GOOGLE_CLOUD_PROJECT?.trim();
    const firestore = new Firestore(projectId ? { projectId } : {});
    return new FirestoreTokenStore({
      firestore,
      collection,
      key,
      ownsClient: true,
      ...(opts.clock && { clock: opts.clock }),
      logger,
    });
  }
  // Only the scheme is echoed: a mistyped database URL could carry a password.
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(text)?.[0];
  const what = text === '' ? 'is empty' : scheme ? `has an unknown scheme "${scheme}"` : 'has no scheme';
  throw new Error(`TOKEN_STORE ${what}; accepted forms: ${ACCEPTED}`);
}

/** A single Firestore collection id; a leading letter or digit rules out the reserved "__…__" ids. */
const FIRESTORE_COLLECTION = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/** The database stores keep no key file: TOKEN_ENCRYPTION_KEY must be given. */
function requiredKey(text: string | undefined, form: string): Buffer {
  if (!text?.trim()) {
    throw new Error(
      `TOKEN_STORE ${form} needs TOKEN_ENCRYPTION_KEY (32 random bytes in base64 or hex, the same for every process ` +
        'that shares the store): a database store keeps no key file. Make one with: openssl rand -base64 32',
    );
  }
  return parseEncryptionKey(text);
}

function storePath(spec: string): string {
  const path = spec.startsWith('file://') ? fileURLToPath(spec) : spec.slice('file:'.length);
  if (path.trim() === '') throw new Error(`TOKEN_STORE "file:" needs a path, e.g. ${defaultStoreSpec}`);
  return resolve(path);
}

/** Key paths already announced, so a process that opens its store several times warns once. */
const warned = new Set<string>();

/**
 * The key of a store without TOKEN_ENCRYPTION_KEY: read from `<store>.key`, created if missing. Creation
 * writes a complete temp file and hard-links it into place: link() fails if the name exists (like O_EXCL),
 * and unlike an O_EXCL create a racing reader never sees a half-written key. Everyone then reads the winner.
 */
async function keyFromKeyFile(storePath: string, logger: Logger): Promise<Buffer> {
  const keyPath = `${storePath}.key`;
  let text = await readKeyFile(keyPath);
  if (text === null) {
    // A new key cannot open an existing store; saying so beats a "wrong key" error on the first read.
    if (await stat(storePath).then(() => true, () => false)) {
      throw new Error(
        `token store ${storePath} exists but TOKEN_ENCRYPTION_KEY is not set and there is no key file ${keyPath}: ` +
          'set TOKEN_ENCRYPTION_KEY to the key the store was written with',
      );
    }
    const temp = `${keyPath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(keyPath), { recursive: true, mode: 0o700 });
      await writeFile(temp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx', flush: true });
      await link(temp, keyPath).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      });
      await syncDirectory(dirname(keyPath));
    } catch (err) {
      throw keyFileError(keyPath, err);
    } finally {
      await rm(temp, { force: true }).catch(() => undefined);
    }
    text = await readKeyFile(keyPath);
    if (text === null) throw new Error(`key file ${keyPath} vanished right after it was created`);
  }
  const key = parseEncryptionKey(text, `key file ${keyPath}`);
  if (!warned.has(keyPath)) {
    warned.add(keyPath);
    logger.warn(
      { keyFile: keyPath },
      'TOKEN_ENCRYPTION_KEY is not set: the token store is encrypted with a generated key kept in the key file beside it. ' +
        'Anyone who can read both files can read the tokens. To use your own key, set TOKEN_ENCRYPTION_KEY ' +
        '(make one with: openssl rand -base64 32) before the first start, or set it to the key file content.',
    );
  }
  if (((await stat(keyPath).catch(() => null))?.mode ?? 0) & 0o077) {
    logger.warn({ keyFile: keyPath }, 'the token store key file is readable by other users: chmod 600 it');
  }
  return key;
}

async function readKeyFile(keyPath: string): Promise<string | null> {
  try {
    return await readFile(keyPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw keyFileError(keyPath, err);
  }
}

function keyFileError(keyPath: string, err: unknown): StoreUnavailableError {
  const code = (err as NodeJS.ErrnoException).code ?? String(err);
  return new StoreUnavailableError(`cannot read or create the token store key file ${keyPath}: ${code}`, { cause: err });
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await openFile(dir, 'r').catch(() => undefined);
  // Best effort: some platforms cannot fsync a directory; the key file itself was flushed.
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}
