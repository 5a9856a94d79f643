import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installation, WORKER_SECRET } from '../helpers/installation.js';

type Installation = Awaited<ReturnType<typeof installation>>;

describe('offpeak tokens import / status', () => {
  let inst: Installation;
  beforeAll(async () => {
    inst = await installation();
  });
  afterAll(() => inst.close());

  it('imports a refresh token from stdin without echoing it, and status never prints a token', async () => {
    const imported = await inst.cli(['tokens', 'import', '--refresh-token', '-'], {}, `${inst.account.refresh_token}\n`);
    expect(imported.code).toBe(0);
    expect(imported.output).toMatch(/stored a refresh token for account "default"/);
    expect(imported.output).not.toContain(inst.account.refresh_token);
    expect((await inst.store.get('default'))!.tokens.refreshToken).toBe(inst.account.refresh_token);

    const status = await inst.cli(['tokens', 'status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.output)).toMatchObject({ account: 'default', state: 'expired', storeVersion: 1 });
    expect(status.output).not.toContain(inst.account.refresh_token);
    expect(await inst.filesText()).not.toContain(inst.account.refresh_token);
    // The status command spent nothing.
    expect((await inst.stats()).oauth.requests).toBe(0);
  });

  it('refuses an empty token with a clear message and exit code 2', async () => {
    const result = await inst.cli(['tokens', 'import', '--refresh-token', '-'], {}, '\n');
    expect(result.code).toBe(2);
    expect(result.output).toMatch(/refresh token is empty/);
  });

  it('reports a configuration error by variable name', async () => {
    const result = await inst.cli(['tokens', 'status'], { OFFPEAK_TIMEZONE: 'Mars/Olympus' });
    expect(result.code).toBe(2);
    expect(result.output).toMatch(/OFFPEAK_TIMEZONE/);
  });
});

describe('offpeak check-tokens', () => {
  let inst: Installation;
  let workerUrl: string;
  beforeAll(async () => {
    inst = await installation();
    await inst.cli(['tokens', 'import', '--refresh-token', '-'], {}, inst.account.refresh_token);
    workerUrl = (await inst.startWorker()).url;
  });
  afterAll(() => inst.close());

  it('passes all six checks against a correct Worker', async () => {
    const result = await inst.cli(['check-tokens', '--worker-url', workerUrl]);
    expect(result.output).toMatch(/✅ Worker health/);
    expect(result.output).toMatch(/✅ Token valid at Tesla: 127\.0\.0\.1:\d+ accepted it \(region EU, 1 vehicle\(s\)\)/);
    expect(result.output).toMatch(/✅ Concurrent token requests: 5 requests, one token, no refresh/);
    expect(result.output).toMatch(/✅ Unauthenticated request refused/);
    expect(result.output).toMatch(/^6 passed, 0 failed$/m);
    expect(result.code).toBe(0);
    expect(result.output).not.toContain(WORKER_SECRET);
  });

  it('fails with reasons when given the wrong secret', async () => {
    const result = await inst.cli(['check-tokens', '--worker-url', workerUrl, '--secret', 'wrong-secret-wrong-secret']);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/❌ Worker token endpoint: GET \/get-token answered 401/);
    expect(result.output).toMatch(/^2 passed, 4 failed$/m);
  });

  it('fails when the configured Tesla API rejects the token', async () => {
    const result = await inst.cli(['check-tokens', '--worker-url', workerUrl, '--tesla-api-url', `${workerUrl}/`]);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/❌ Token valid at Tesla/);
  });

  it('fails the sixth check against a Worker that serves tokens without credentials', async () => {
    const careless: Server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      const body = req.url === '/worker-status' ? { store: 'x', tokens: { storeVersion: 1 } } : { access_token: 'x.y.z', remaining_minutes: 100, tokens: { state: 'ok' } };
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => careless.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(careless.address() as AddressInfo).port}`;
    const result = await inst.cli(['check-tokens', '--worker-url', url, '--tesla-api-url', inst.simUrl]);
    careless.close();
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/❌ Unauthenticated request refused: .*answered 200/);
    expect(result.output).toMatch(/❌ Token valid at Tesla/);
  });

  it('fails on a Worker that cannot be reached, with a reason per check', async () => {
    const result = await inst.cli(['check-tokens', '--worker-url', 'http://127.0.0.1:9']);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/^0 passed, 6 failed$/m);
  });
});
