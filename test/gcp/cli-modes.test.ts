import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installation } from '../helpers/installation.js';

/** The CLI commands' wiring of the auth mode and secret references, as processes of the built CLI. */
let inst: Awaited<ReturnType<typeof installation>>;

beforeAll(async () => {
  inst = await installation();
  const imported = await inst.cli(['tokens', 'import', '--refresh-token', '-'], {}, inst.account.refresh_token);
  if (imported.code !== 0) throw new Error(imported.output);
});
afterAll(() => inst.close());

describe('offpeak worker / scout: explicit auth mode and secret references', () => {
  it('`offpeak scout` (shared secret, the default) still takes its token from a Worker process', async () => {
    const { url } = await inst.startWorker();
    const { code, output } = await inst.cli(['scout'], { WORKER_SERVICE_URL: url });
    expect(code, output).toBe(0);
    expect(output).toMatch(/"event":"token_from_worker"/);
  });

  it('`offpeak worker` in google mode without its lists stops with exit 2, naming them', async () => {
    const { code, output } = await inst.cli(['worker'], { WORKER_AUTH_MODE: 'google' });
    expect(code).toBe(2);
    expect(output).toMatch(/WORKER_AUTH_MODE=google needs WORKER_AUDIENCES .* and WORKER_ALLOWED_CALLERS/);
  });

  it('a secret reference that cannot be resolved stops the command with the variable named, not the value', async () => {
    const { code, output } = await inst.cli(['worker'], { TOKEN_ENCRYPTION_KEY: 'sm://offpeak-token-encryption-key' });
    expect(code).toBe(2);
    expect(output).toMatch(/TOKEN_ENCRYPTION_KEY: the reference sm:\/\/offpeak-token-encryption-key has no project; set GOOGLE_CLOUD_PROJECT/);
    const scout = await inst.cli(['scout'], { WORKER_SERVICE_URL: 'http://127.0.0.1:9', WORKER_SHARED_SECRET: 'sm://projects/p/secrets/bad name' });
    expect(scout.code).toBe(2);
    expect(scout.output).toMatch(/WORKER_SHARED_SECRET: "sm:\/\/…" must be/);
  });
});
