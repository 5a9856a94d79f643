import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { openTokenStore } from '../../src/tokens/open-store.js';
import { POSTGRES_SCHEMA_VERSION, PostgresTokenStore } from '../../src/tokens/postgres-store.js';
import { StoreCorruptError, StoreUnavailableError, type TokenWrite } from '../../src/tokens/store.js';
import { runStoreContract, tokens } from './contract.js';
import { randomKey, recordingLogger } from './helpers.js';

/**
 * The PostgreSQL store against a real local server. Each test works in a schema of its own (created by the
 * store, dropped afterwards), so runs and parallel files do not collide. Without a server this file FAILS:
 * CI must start PostgreSQL, and a silent skip would hide that it did not.
 */

const URL_ = process.env.OFFPEAK_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const START_HINT =
  'start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start ' +
  '(or set OFFPEAK_TEST_POSTGRES_URL to a database where the user may create schemas)';

const admin = new pg.Pool({ connectionString: URL_, max: 2, connectionTimeoutMillis: 5000 });
admin.on('error', () => undefined);
try {
  await admin.query('SELECT 1');
} catch (err) {
  await admin.end().catch(() => undefined);
  throw new Error(
    `PostgreSQL is not reachable at ${redact(URL_)} (${(err as Error).message || String(err)}): these tests need it; ${START_HINT}`,
  );
}
afterAll(async () => {
  await admin.end();
});

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

let schemas = 0;
const newSchema = () => `offpeak_t_${process.pid}_${++schemas}_${randomBytes(3).toString('hex')}`;
const dropSchema = (schema: string) => admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);

interface Made {
  store: PostgresTokenStore;
  key: Buffer;
}
const made = new WeakMap<object, Made>();

runStoreContract(
  'postgres',
  async (clock) => {
    const schema = newSchema();
    const key = randomKey();
    const store = new PostgresTokenStore({ connectionString: URL_, key, clock, schema });
    made.set(store, { store, key });
    await store.ready();
    return { store, cleanup: async () => void (await dropSchema(schema)) };
  },
  {
    makePeer: async (first, clock) => {
      const { key } = made.get(first)!;
      const peer = new PostgresTokenStore({
        connectionString: URL_,
        key,
        clock,
        schema: (first as PostgresTokenStore).schema!,
      });
      await peer.ready();
      return peer;
    },
  },
);

const secretWrite: TokenWrite = { tokens: tokens('SECRET-7f3a9'), status: 'ok', statusReason: null };
const secrets = [secretWrite.tokens.refreshToken, secretWrite.tokens.accessToken!];
const encodings = (s: string) => [s, Buffer.from(s).toString('base64'), Buffer.from(s).toString('hex')];

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
}

describe('PostgresTokenStore on a real server', () => {
  let schema: string;
  let key: Buffer;
  let store: PostgresTokenStore;
  const others: { close(): Promise<void> }[] = [];

  beforeEach(() => {
    schema = newSchema();
    key = randomKey();
    store = new PostgresTokenStore({ connectionString: URL_, key, schema, clock: new ManualClock() });
  });
  afterEach(async () => {
    for (const other of others.splice(0)) await other.close();
    await store.close();
    await dropSchema(schema);
  });
  const another = (options: Partial<ConstructorParameters<typeof PostgresTokenStore>[0]> = {}) => {
    const s = new PostgresTokenStore({ connectionString: URL_, key, schema, clock: new ManualClock(), ...options });
    others.push(s);
    return s;
  };

  it('never has a token in clear in the database', async () => {
    await store.put('acct', secretWrite, 0);
    await store.put('acct', { ...secretWrite, status: 'reauth_required', statusReason: 'login_required' }, 1);
    const raw = await admin.query(`SELECT sealed_tokens, t::text AS whole FROM "${schema}".offpeak_tokens t`);
    expect(raw.rows).toHaveLength(1);
    const { sealed_tokens: sealed, whole } = raw.rows[0] as { sealed_tokens: string; whole: string };
    expect(sealed).toMatch(/^\{"offpeak":"sealed","v":1,"alg":"aes-256-gcm"/);
    for (const secret of secrets) {
      for (const encoded of encodings(secret)) {
        expect(sealed).not.toContain(encoded);
        expect(whole).not.toContain(encoded);
      }
    }
    expect(whole).toContain('reauth_required'); // status and reason are meant to be readable
    expect((await store.get('acct'))?.tokens).toEqual(secretWrite.tokens);
  });

  it('refuses a wrong key, and a sealed value moved to another account, with StoreCorruptError', async () => {
    await store.put('acct', secretWrite, 0);
    await store.put('other', { ...secretWrite, tokens: tokens('other') }, 0);
    const otherKey = randomKey();
    const err = await rejection(another({ key: otherKey }).get('acct'));
    expect(err).toBeInstanceOf(StoreCorruptError);
    expect(err.message).toContain('wrong TOKEN_ENCRYPTION_KEY');
    for (const hidden of [...secrets, key.toString('base64'), otherKey.toString('base64'), key.toString('hex')]) {
      expect(err.message).not.toContain(hidden);
    }
    // Copy acct's ciphertext onto "other": it must not open there (the account is bound into the seal).
    await admin.query(
      `UPDATE "${schema}".offpeak_tokens SET sealed_tokens = (SELECT sealed_tokens FROM "${schema}".offpeak_tokens WHERE account = 'acct') WHERE account = 'other'`,
    );
    expect(await rejection(store.get('other'))).toBeInstanceOf(StoreCorruptError);
    expect((await store.get('acct'))?.tokens).toEqual(secretWrite.tokens);
  });

  it('reports an unreachable server as StoreUnavailableError without the password', async () => {
    const down = new PostgresTokenStore({
      connectionString: 'postgres://offpeak:hunter2@127.0.0.1:1/test',
      key,
      pool: { connectionTimeoutMillis: 2000 },
    });
    others.push(down);
    for (const call of [() => down.get('acct'), () => down.put('acct', secretWrite, 0), () => down.acquireLease('a', 'h', 1)]) {
      const err = await rejection(call());
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(err.message).toMatch(/PostgreSQL token store.*ECONNREFUSED/);
      expect(err.message).not.toContain('hunter2');
    }
  });

  it('creates its tables once, even when many processes start at the same moment', async () => {
    const starters = Array.from({ length: 6 }, () => another());
    await Promise.all(starters.map((s) => s.ready()));
    const version = await admin.query(`SELECT version FROM "${schema}".offpeak_schema_version`);
    expect(version.rows).toEqual([{ version: POSTGRES_SCHEMA_VERSION }]);
    const tables = await admin.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [schema],
    );
    expect(tables.rows.map((r: { table_name: string }) => r.table_name)).toEqual([
      'offpeak_leases',
      'offpeak_schema_version',
      'offpeak_state',
      'offpeak_tokens',
    ]);
    await starters[0]!.put('acct', secretWrite, 0);
    expect((await starters[5]!.get('acct'))?.version).toBe(1);
  });

  it('opens for a read-only user once the tables exist (the Scout fallback), and refuses its writes', async () => {
    await store.put('acct', secretWrite, 0);
    const role = `offpeak_ro_${randomBytes(4).toString('hex')}`;
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    try {
      await admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
      await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
      const url = new URL(URL_);
      url.username = role;
      url.password = '';
      const reader = another({ connectionString: url.href });
      expect((await reader.get('acct'))?.tokens).toEqual(secretWrite.tokens);
      expect(await reader.getLease('acct')).toBeNull();
      const err = await rejection(reader.put('acct', secretWrite, 1));
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(err.message).toMatch(/permission denied/);
      await reader.close();
    } finally {
      await admin.query(`DROP OWNED BY ${role}`);
      await admin.query(`DROP ROLE ${role}`);
    }
  });

  it('refuses a schema newer than it knows, clearly', async () => {
    await store.ready();
    await admin.query(`UPDATE "${schema}".offpeak_schema_version SET version = version + 1`);
    const err = await rejection(another().get('acct'));
    expect(err.message).toMatch(/schema is at version \d+, newer than this offpeak knows/);
  });

  it('judges leases by the injected clock, not the database clock', async () => {
    const clock = new ManualClock(Date.parse('2001-01-01T00:00:00Z')); // far from the server's now()
    const s = another({ clock });
    expect(await s.acquireLease('acct', 'a', 1000)).toEqual({ account: 'acct', holder: 'a', expiresAt: clock.now() + 1000 });
    expect(await s.acquireLease('acct', 'b', 1000)).toBeNull();
    clock.advance(1000);
    expect(await s.acquireLease('acct', 'b', 1000)).not.toBeNull();
  });

  it('refuses malformed writes before they reach the database', async () => {
    const bad = { tokens: { refreshToken: 'x' }, status: 'ok' } as unknown as TokenWrite;
    expect(await rejection(store.put('acct', bad, 0))).toBeInstanceOf(TypeError);
    expect(await rejection(store.putState('k', undefined, 0))).toBeInstanceOf(TypeError);
    expect(await rejection(store.acquireLease('acct', 'h', 0))).toBeInstanceOf(RangeError);
    expect(await rejection(store.put('', secretWrite, 0))).toBeInstanceOf(TypeError);
    expect(await store.get('acct')).toBeNull();
  });

  it('rejects use after close, and logs nothing while working normally', async () => {
    const { logger, lines } = recordingLogger();
    const quiet = another({ logger });
    await quiet.put('acct', secretWrite, 0);
    await quiet.acquireLease('acct', 'h', 1000);
    await quiet.close();
    await expect(quiet.get('acct')).rejects.toThrow(/closed/);
    expect(lines).toEqual([]);
  });

  it('is what openTokenStore makes of postgres:// and postgresql://, and needs TOKEN_ENCRYPTION_KEY', async () => {
    const withPassword = URL_.replace('//postgres@', '//postgres:hunter2@');
    const missing = await rejection(openTokenStore(withPassword));
    expect(missing.message).toMatch(/TOKEN_ENCRYPTION_KEY/);
    expect(missing.message).toMatch(/openssl rand -base64 32/);
    expect(missing.message).not.toContain('hunter2');

    // Without a schema option the store follows the connection's search_path: here one set in the URL.
    await admin.query(`CREATE SCHEMA "${schema}"`);
    const url = `${URL_}${URL_.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const opened = await openTokenStore(url.replace(/^postgres:/, 'postgresql:'), { encryptionKey: key.toString('base64') });
    others.push(opened);
    expect(opened.kind).toBe('postgres');
    await opened.put('acct', secretWrite, 0); // the tables were created at open, in that schema
    expect((await store.get('acct'))?.tokens).toEqual(secretWrite.tokens);
  });
});

describe('PostgresTokenStore across processes', () => {
  const FIXTURE = fileURLToPath(new URL('./fixtures/postgres-race.ts', import.meta.url));
  const CHILDREN = 4;
  let schema: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    schema = newSchema();
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await dropSchema(schema);
  });

  /** Starts the children, waits until all are connected and ready, then lets them go together. */
  async function race<T>(argsList: string[][], key: string): Promise<T[]> {
    const started = argsList.map((args) => {
      const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], {
        env: { ...process.env, TOKEN_ENCRYPTION_KEY: key, OFFPEAK_TEST_POSTGRES_URL: URL_ },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      children.push(child);
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const lines: string[] = [];
      const ready = new Promise<void>((resolve) =>
        createInterface({ input: child.stdout! }).on('line', (line) => {
          lines.push(line);
          if (line === 'ready') resolve();
        }),
      );
      const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
      const failed = exited.then(([code]) => {
        throw new Error(`child exited (${code}) early: ${stderr}`);
      });
      const result = exited.then(([code, signal]) => {
        if (code !== 0) throw new Error(`child failed (${code ?? signal}): ${stderr}`);
        return JSON.parse(lines.at(-1)!) as T;
      });
      return { child, ready: Promise.race([ready, failed]), result };
    });
    await Promise.all(started.map((s) => s.ready));
    for (const s of started) s.child.stdin!.end('go\n');
    return Promise.all(started.map((s) => s.result));
  }

  it('loses no update when processes race to CAS-increment a counter', async () => {
    const key = randomBytes(32).toString('base64');
    const perChild = 25;
    const results = await race<{ successes: number; conflicts: number }>(
      Array.from({ length: CHILDREN }, () => ['count', schema, String(perChild)]),
      key,
    );
    const store = new PostgresTokenStore({ connectionString: URL_, key: Buffer.from(key, 'base64'), schema });
    try {
      const doc = await store.getState<number>('counter');
      expect(doc).toMatchObject({ value: CHILDREN * perChild, version: CHILDREN * perChild });
      expect(results.reduce((sum, r) => sum + r.successes, 0)).toBe(CHILDREN * perChild);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('never has two lease holders at once, and no refresh inside the lease loses its CAS', async () => {
    const key = randomBytes(32).toString('base64');
    const perChild = 8;
    const store = new PostgresTokenStore({ connectionString: URL_, key: Buffer.from(key, 'base64'), schema });
    try {
      await store.put('acct', secretWrite, 0);
      type Result = { grants: number; refused: number; violations: number; intervals: [number, number][] };
      const results = await race<Result>(
        Array.from({ length: CHILDREN }, (_, i) => ['refresh', schema, String(perChild), `holder-${i}`]),
        key,
      );
      expect(results.map((r) => r.violations)).toEqual(Array(CHILDREN).fill(0));
      expect(results.reduce((sum, r) => sum + r.refused, 0)).toBeGreaterThan(0); // they really did compete
      const intervals = results.flatMap((r) => r.intervals).sort((a, b) => a[0] - b[0]);
      expect(intervals).toHaveLength(CHILDREN * perChild);
      for (let i = 1; i < intervals.length; i++) expect(intervals[i]![0]).toBeGreaterThanOrEqual(intervals[i - 1]![1]);
      const record = await store.get('acct');
      expect(record?.version).toBe(1 + CHILDREN * perChild);
      expect(record?.tokens.refreshToken).toMatch(/^rt-holder-\d-7$/);
      expect(await store.getLease('acct')).toBeNull();
    } finally {
      await store.close();
    }
  }, 60_000);
});
