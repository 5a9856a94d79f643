import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { TeslaOAuthClient } from '../../src/tesla/oauth.js';
import { TokenBroker, type RefreshGrant } from '../../src/tokens/broker.js';
import { NoTokensError, PersistFailedError, ReauthRequiredError, RefreshBackoffError } from '../../src/tokens/errors.js';
import { FileTokenStore } from '../../src/tokens/file-store.js';
import { StoreUnavailableError, type TokenStore } from '../../src/tokens/store.js';
import { importRefreshToken } from '../../src/cli/tokens.js';
import { captureLogger } from '../helpers/log-capture.js';
import { inProcessSim } from '../helpers/sim.js';
import { sha256, tempDir } from '../helpers/temp.js';

const HOUR = 3600_000;
const ACCOUNT = 'home';

type Sim = Awaited<ReturnType<typeof inProcessSim>>;

describe('TokenBroker (SYSTEM.md token rules) against the simulator', () => {
  let clock: ManualClock;
  let sim: Sim;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: FileTokenStore;
  let key: Buffer;
  let log: ReturnType<typeof captureLogger>;
  let oauth: TeslaOAuthClient;
  let firstRefreshToken: string;
  let simAccountId: string;

  const broker = (overrides: Partial<ConstructorParameters<typeof TokenBroker>[0]> = {}) =>
    new TokenBroker({ store, tesla: oauth, clock, logger: log.logger, ...overrides });

  beforeEach(async () => {
    clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
    sim = await inProcessSim({ clock, accessTtlSec: 8 * 3600, refreshGraceSec: 0 });
    dir = await tempDir();
    key = randomBytes(32);
    store = new FileTokenStore({ path: join(dir.path, 'store.json'), key, clock });
    log = captureLogger();
    const account = await sim.createAccount();
    firstRefreshToken = account.refresh_token;
    simAccountId = account.account_id;
    oauth = new TeslaOAuthClient({ authUrl: sim.base, clientId: account.client_id, fetch: sim.fetch, clock });
    await importRefreshToken(store, ACCOUNT, firstRefreshToken);
  });

  afterEach(async () => {
    await store.close();
    await sim.close();
    await dir.cleanup();
  });

  it('refreshes an imported token once and then serves the same token until it is due (rule 4)', async () => {
    const b = broker();
    const first = await b.getAccessToken(ACCOUNT);
    expect((await sim.stats()).oauth.refresh_ok).toBe(1);
    for (let i = 0; i < 5; i++) {
      clock.advance(HOUR); // up to 5 h of an 8 h token: not yet at 75 %
      expect((await b.getAccessToken(ACCOUNT)).accessToken).toBe(first.accessToken);
    }
    expect((await sim.stats()).oauth.refresh_ok).toBe(1);
    clock.advance(HOUR); // 6 h = 75 % of the life: due
    const second = await b.getAccessToken(ACCOUNT);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect((await sim.stats()).oauth.refresh_ok).toBe(2);
    expect(second.expiresAt).toBe(clock.now() + 8 * HOUR);
  });

  it('the stored refresh token is always the simulator\'s latest one (rule 2: persisted before served)', async () => {
    const b = broker();
    for (let i = 0; i < 6; i++) {
      await b.getAccessToken(ACCOUNT);
      const stored = await store.get(ACCOUNT);
      const info = await sim.accountInfo(simAccountId);
      expect(await sha256(stored!.tokens.refreshToken)).toBe(info.refresh.latest_sha256);
      clock.advance(7 * HOUR);
    }
    expect((await sim.stats()).oauth.login_required).toBe(0);
  });

  it('many concurrent callers in one process cause exactly one refresh (rule 3, in process)', async () => {
    const b = broker();
    const tokens = await Promise.all(Array.from({ length: 25 }, () => b.getAccessToken(ACCOUNT)));
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect((await sim.stats()).oauth.refresh_ok).toBe(1);
  });

  it('two brokers (two processes\' worth of state) on one store cause exactly one refresh (rule 3)', async () => {
    const peer = new FileTokenStore({ path: join(dir.path, 'store.json'), key, clock });
    // Same file, separate store object and broker with its own holder id, as another process would have.
    const a = broker({ holderId: 'process-a' });
    const b = new TokenBroker({ store: peer, tesla: oauth, clock, logger: log.logger, holderId: 'process-b' });
    const [ta, tb] = await Promise.all([a.getAccessToken(ACCOUNT), b.getAccessToken(ACCOUNT)]);
    expect(ta.accessToken).toBe(tb.accessToken);
    expect((await sim.stats()).oauth.refresh_ok).toBe(1);
    await peer.close();
  });

  it('login_required is terminal: reauth_required is stored and Tesla is not asked again (rule 5)', async () => {
    // Spend the imported token elsewhere, as a second, misbehaving component would.
    await oauth.refresh(firstRefreshToken);
    const b = broker();
    await expect(b.getAccessToken(ACCOUNT)).rejects.toBeInstanceOf(ReauthRequiredError);
    const requests = (await sim.stats()).oauth.requests;
    for (let i = 0; i < 5; i++) {
      clock.advance(10 * 60_000);
      await expect(b.getAccessToken(ACCOUNT)).rejects.toBeInstanceOf(ReauthRequiredError);
      await b.keepFresh([ACCOUNT]);
    }
    expect((await sim.stats()).oauth.requests).toBe(requests);
    expect((await store.get(ACCOUNT))!.status).toBe('reauth_required');
    expect((await b.status(ACCOUNT)).state).toBe('reauth_required');
    expect(log.text()).toContain('REAUTH REQUIRED');
    // A second broker (a restarted Worker) reads the mark and does not try either.
    await expect(broker().getAccessToken(ACCOUNT)).rejects.toBeInstanceOf(ReauthRequiredError);
    expect((await sim.stats()).oauth.requests).toBe(requests);
    // A new import clears it.
    await importRefreshToken(store, ACCOUNT, (await sim.createAccount()).refresh_token);
    expect((await broker().status(ACCOUNT)).state).not.toBe('reauth_required');
  });

  it('transient failures back off and the current valid token keeps being served (rule 5)', async () => {
    const b = broker();
    const first = await b.getAccessToken(ACCOUNT);
    clock.advance(6.5 * HOUR); // due, still valid for 1.5 h
    await sim.fault({ target: 'oauth', kind: 'error', status: 503 });
    expect((await b.getAccessToken(ACCOUNT)).accessToken).toBe(first.accessToken);
    const afterFirstFailure = (await sim.stats()).oauth.requests;
    // Within the back-off window no further request reaches Tesla, however often we are asked.
    for (let i = 0; i < 10; i++) expect((await b.getAccessToken(ACCOUNT)).accessToken).toBe(first.accessToken);
    expect((await sim.stats()).oauth.requests).toBe(afterFirstFailure);
    expect((await b.status(ACCOUNT)).backoffUntil).not.toBeNull();
    await sim.clearFaults();
    clock.advance(10 * 60_000);
    const next = await b.getAccessToken(ACCOUNT);
    expect(next.accessToken).not.toBe(first.accessToken);
    expect((await sim.stats()).oauth.login_required).toBe(0);
  });

  it('a transient failure with an expired token is an error, not an expired token', async () => {
    const b = broker();
    await b.getAccessToken(ACCOUNT);
    clock.advance(9 * HOUR);
    await sim.fault({ target: 'oauth', kind: 'error', status: 500 });
    await expect(b.getAccessToken(ACCOUNT)).rejects.toThrow(/500/);
    await expect(b.getAccessToken(ACCOUNT)).rejects.toBeInstanceOf(RefreshBackoffError);
  });

  it('honours Retry-After of a 429 from the token endpoint', async () => {
    const b = broker({ backoffBaseMs: 10 });
    await sim.fault({ target: 'oauth', kind: 'rate_limit', retry_after_s: 600, count: 1 });
    await expect(b.getAccessToken(ACCOUNT)).rejects.toThrow(/429/);
    clock.advance(599_000);
    await expect(b.getAccessToken(ACCOUNT)).rejects.toBeInstanceOf(RefreshBackoffError);
    clock.advance(2_000);
    await expect(b.getAccessToken(ACCOUNT)).resolves.toMatchObject({ accessToken: expect.any(String) });
  });

  it('when the store cannot save rotated tokens, nobody gets them and they are saved on the next attempt (rule 2)', async () => {
    let failWrites = true;
    const flaky: TokenStore = Object.create(store, {
      put: {
        value: (...args: Parameters<TokenStore['put']>) =>
          failWrites ? Promise.reject(new StoreUnavailableError('disk full')) : store.put(...args),
      },
    });
    const b = new TokenBroker({ store: flaky, tesla: oauth, clock, logger: log.logger });
    await expect(b.getAccessToken(ACCOUNT)).rejects.toBeInstanceOf(PersistFailedError);
    expect((await b.status(ACCOUNT)).unsavedTokens).toBe(true);
    expect((await sim.stats()).oauth.refresh_ok).toBe(1);
    // The lease is kept while the spent token's successor is only in memory: no peer may spend the old one.
    expect(await store.getLease(ACCOUNT)).not.toBeNull();
    await expect(b.getAccessToken(ACCOUNT)).rejects.toBeInstanceOf(PersistFailedError);
    failWrites = false;
    const token = await b.getAccessToken(ACCOUNT);
    expect((await sim.stats()).oauth.refresh_ok).toBe(1); // saved, not refreshed again
    const stored = await store.get(ACCOUNT);
    expect(stored!.tokens.accessToken).toBe(token.accessToken);
    expect(await sha256(stored!.tokens.refreshToken)).toBe((await sim.accountInfo(simAccountId)).refresh.latest_sha256);
    expect(await store.getLease(ACCOUNT)).toBeNull();
  });

  it('keeps serving the token it holds while the store is briefly unreadable', async () => {
    let down = false;
    const flaky: TokenStore = Object.create(store, {
      get: { value: (account: string) => (down ? Promise.reject(new StoreUnavailableError('disk gone')) : store.get(account)) },
    });
    const b = new TokenBroker({ store: flaky, tesla: oauth, clock, logger: log.logger });
    const token = await b.getAccessToken(ACCOUNT);
    down = true;
    clock.advance(HOUR);
    expect((await b.getAccessToken(ACCOUNT)).accessToken).toBe(token.accessToken);
    expect(log.text()).toContain('token store unreadable');
    // Due but still valid: the refresh fails on the store, the valid token is still served.
    clock.advance(6 * HOUR);
    expect((await b.getAccessToken(ACCOUNT)).accessToken).toBe(token.accessToken);
    // Expired: now the failure is reported, not hidden behind an expired token.
    clock.advance(2 * HOUR);
    await expect(b.getAccessToken(ACCOUNT)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect((await sim.stats()).oauth.refresh_ok).toBe(1);
  });

  it('stores every new access token even when the refresh token does not change (rule 7)', async () => {
    let n = 0;
    const sameRefresh: RefreshGrant = {
      refresh: async (refreshToken) => ({
        refreshToken, // a server that does not rotate
        accessToken: `access-${++n}`,
        accessIssuedAt: clock.now(),
        accessExpiresAt: clock.now() + 8 * HOUR,
      }),
    };
    const b = broker({ tesla: sameRefresh });
    await b.getAccessToken(ACCOUNT);
    clock.advance(7 * HOUR);
    await b.getAccessToken(ACCOUNT);
    const stored = await store.get(ACCOUNT);
    expect(stored!.tokens.accessToken).toBe('access-2');
    expect(stored!.tokens.accessExpiresAt).toBe(clock.now() + 8 * HOUR);
    // A Scout reading the store now finds the new token, not the expired first one.
  });

  it('a forced refresh is honoured at most once per interval', async () => {
    const b = broker();
    await b.getAccessToken(ACCOUNT);
    clock.advance(2 * 60_000);
    await b.refresh(ACCOUNT, { force: true });
    await b.refresh(ACCOUNT, { force: true });
    await b.refresh(ACCOUNT, { force: true });
    expect((await sim.stats()).oauth.refresh_ok).toBe(2);
  });

  it('peekAccessToken gives what getAccessToken would, without I/O, and nothing once there is work to do', async () => {
    const b = broker();
    expect(b.peekAccessToken(ACCOUNT)).toBeNull(); // nothing read yet
    const { accessToken, expiresAt } = await b.getAccessToken(ACCOUNT);
    const token = { accessToken, expiresAt };
    expect(b.peekAccessToken(ACCOUNT)).toEqual(token);
    clock.advance(1000); // the store read it came from has lapsed: the store must be read again
    expect(b.peekAccessToken(ACCOUNT)).toBeNull();
    expect(await b.getAccessToken(ACCOUNT)).toEqual(token);
    expect(b.peekAccessToken(ACCOUNT)).toEqual(token);
    clock.advance(6 * HOUR); // due at 75 % of the life
    await b.status(ACCOUNT); // a fresh read: the cache is current, but the token is due
    expect(b.peekAccessToken(ACCOUNT)).toBeNull();
    expect((await b.getAccessToken(ACCOUNT)).accessToken).not.toBe(token.accessToken);
  });

  it('a burst of callers after the cached read lapses shares one store read', async () => {
    const b = broker();
    await b.getAccessToken(ACCOUNT);
    clock.advance(1000);
    let reads = 0;
    const get = store.get.bind(store);
    store.get = (account) => {
      reads++;
      return get(account);
    };
    const tokens = await Promise.all(Array.from({ length: 50 }, () => b.getAccessToken(ACCOUNT)));
    expect(reads).toBe(1);
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
  });

  it('an account without tokens is a clear error and no request to Tesla', async () => {
    await expect(broker().getAccessToken('nobody')).rejects.toBeInstanceOf(NoTokensError);
    expect((await sim.stats()).oauth.requests).toBe(0);
  });

  it('never writes a token to the log or in clear to the store directory (rule 6)', async () => {
    const b = broker();
    const secrets = [firstRefreshToken];
    for (let i = 0; i < 3; i++) {
      secrets.push((await b.getAccessToken(ACCOUNT)).accessToken);
      secrets.push((await store.get(ACCOUNT))!.tokens.refreshToken);
      clock.advance(7 * HOUR);
    }
    await b.refresh(ACCOUNT, { force: true });
    expect(log.lines().length).toBeGreaterThan(2);
    const files = await readdir(dir.path);
    const onDisk = (await Promise.all(files.map((f) => readFile(join(dir.path, f), 'latin1').catch(() => '')))).join('\n');
    for (const secret of secrets) {
      expect(log.text()).not.toContain(secret);
      expect(onDisk).not.toContain(secret);
    }
  });
});

describe('TokenBroker: a refresh slower than the lease (real time, refresh grace 0)', () => {
  it('keeps its lease while Tesla is slow, so a peer waits instead of spending the rotated token', async () => {
    const sim = await inProcessSim({ refreshGraceSec: 0 });
    const dir = await tempDir();
    const key = randomBytes(32);
    const path = join(dir.path, 'store.json');
    const storeA = new FileTokenStore({ path, key });
    const storeB = new FileTokenStore({ path, key });
    try {
      const account = await sim.createAccount();
      await importRefreshToken(storeA, ACCOUNT, account.refresh_token);
      const oauth = new TeslaOAuthClient({ authUrl: sim.base, clientId: account.client_id, fetch: sim.fetch });
      // Tesla rotates at once, then holds its answer five times longer than the lease lives.
      await sim.fault({ target: 'oauth', kind: 'latency', latency_ms: 1500, count: 1 });
      const a = new TokenBroker({ store: storeA, tesla: oauth, holderId: 'a', leaseTtlMs: 300, peerWaitMs: 10_000 });
      const b = new TokenBroker({ store: storeB, tesla: oauth, holderId: 'b', leaseTtlMs: 300, peerWaitMs: 10_000 });
      const first = a.getAccessToken(ACCOUNT);
      await new Promise((r) => setTimeout(r, 700)); // well past the lease's first expiry
      const [ta, tb] = await Promise.all([first, b.getAccessToken(ACCOUNT)]);
      expect(tb.accessToken).toBe(ta.accessToken);
      const stats = await sim.stats();
      expect(stats.oauth.login_required).toBe(0);
      expect(stats.oauth.refresh_ok).toBe(1);
      expect((await storeA.get(ACCOUNT))!.status).toBe('ok');
    } finally {
      await storeA.close();
      await storeB.close();
      await sim.close();
      await dir.cleanup();
    }
  });
});
