import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { withResolvedSecrets } from '../../src/gcp/env.js';
import { loadEnv } from '../../src/config.js';
import { resolveSecretRefs, secretResourceName, type SecretAccessClient } from '../../src/gcp/secret-refs.js';
import { captureLogger } from '../helpers/log-capture.js';

const CLIENT_SECRET = 'ta-secret-value-that-must-never-be-logged';
const KEY = 'q5mJ2bQ9o0xgk2yq3C0bYd1m6Yy9m6vP3ZQ2b4m8n1E=';
const SHARED = 'shared-secret-value-never-logged-0123';

/** Fake Secret Manager: answers like SecretManagerServiceClient.accessSecretVersion, counts calls. */
function fakeSecretManager(secrets: Record<string, string>) {
  const calls: string[] = [];
  let closed = 0;
  const client: SecretAccessClient = {
    async accessSecretVersion({ name }) {
      calls.push(name);
      if (!(name in secrets)) throw Object.assign(new Error(`5 NOT_FOUND: Secret [${name}] not found or has no versions.`), { code: 5 });
      return [{ name, payload: { data: Buffer.from(secrets[name]!, 'utf8') } }, undefined, undefined];
    },
    async close() {
      closed += 1;
    },
  };
  return { client: async () => client, calls, closed: () => closed };
}

describe('secretResourceName', () => {
  it.each([
    ['sm://projects/p-1/secrets/tesla/versions/3', undefined, 'projects/p-1/secrets/tesla/versions/3'],
    ['sm://projects/p-1/secrets/tesla', undefined, 'projects/p-1/secrets/tesla/versions/latest'],
    ['sm://tesla', 'home-proj', 'projects/home-proj/secrets/tesla/versions/latest'],
    ['sm://tesla/versions/7', 'home-proj', 'projects/home-proj/secrets/tesla/versions/7'],
  ])('%s (project %s) → %s', (ref, project, name) => {
    expect(secretResourceName('TESLA_CLIENT_SECRET', ref, project)).toBe(name);
  });

  it('leaves plain values alone and names the variable for a bad reference', () => {
    expect(secretResourceName('WORKER_SHARED_SECRET', SHARED, 'p')).toBeNull();
    expect(secretResourceName('WORKER_SHARED_SECRET', undefined, 'p')).toBeNull();
    expect(() => secretResourceName('TOKEN_ENCRYPTION_KEY', 'sm://key', undefined)).toThrow(/TOKEN_ENCRYPTION_KEY.*GOOGLE_CLOUD_PROJECT/);
    expect(() => secretResourceName('TOKEN_ENCRYPTION_KEY', 'sm://projects/p/secrets/k/versions/x y', 'p')).toThrow(ConfigError);
  });
});

describe('resolveSecretRefs', () => {
  it('replaces each reference by its value, once per secret, and logs names only', async () => {
    const sm = fakeSecretManager({
      'projects/home/secrets/tesla/versions/latest': CLIENT_SECRET,
      'projects/other/secrets/key/versions/2': `${KEY}\n`, // `openssl rand | gcloud secrets create --data-file=-` adds a newline
    });
    const log = captureLogger('secrets');
    const cache = new Map<string, string>();
    const raw = {
      GOOGLE_CLOUD_PROJECT: 'home',
      TESLA_CLIENT_SECRET: 'sm://tesla',
      TOKEN_ENCRYPTION_KEY: 'sm://projects/other/secrets/key/versions/2',
      WORKER_SHARED_SECRET: SHARED, // a plain value stays as it is
      TESLA_CLIENT_ID: 'sm://not-a-secret-variable',
    };
    const env = await resolveSecretRefs(raw, { client: sm.client, logger: log.logger, cache });
    expect(env).toMatchObject({ TESLA_CLIENT_SECRET: CLIENT_SECRET, TOKEN_ENCRYPTION_KEY: KEY, WORKER_SHARED_SECRET: SHARED, TESLA_CLIENT_ID: 'sm://not-a-secret-variable' });
    expect(raw.TESLA_CLIENT_SECRET).toBe('sm://tesla'); // the input is not modified
    expect(sm.calls).toHaveLength(2);
    expect(sm.closed()).toBe(1);
    await resolveSecretRefs(raw, { client: sm.client, cache }); // a warm function instance: no second read
    expect(sm.calls).toHaveLength(2);

    const text = log.text();
    expect(text).toContain('"event":"secret_resolved"');
    expect(text).toContain('projects/home/secrets/tesla/versions/latest');
    for (const value of [CLIENT_SECRET, KEY]) expect(text).not.toContain(value);
  });

  it('does not touch Secret Manager when nothing is a reference', async () => {
    const raw = { WORKER_SHARED_SECRET: SHARED };
    const env = await resolveSecretRefs(raw, { client: async () => { throw new Error('must not be created'); } });
    expect(env).toBe(raw);
  });

  it('an unknown secret is a ConfigError naming the variable and the reference, not any value', async () => {
    const sm = fakeSecretManager({ 'projects/home/secrets/tesla/versions/latest': CLIENT_SECRET });
    const log = captureLogger('secrets');
    const attempt = resolveSecretRefs(
      { GOOGLE_CLOUD_PROJECT: 'home', TESLA_CLIENT_SECRET: 'sm://tesla', WORKER_SHARED_SECRET: 'sm://missing' },
      { client: sm.client, logger: log.logger },
    );
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    const error = (await attempt.catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^WORKER_SHARED_SECRET: could not read projects\/home\/secrets\/missing\/versions\/latest from Secret Manager: NOT_FOUND/);
    expect(error.message).not.toContain(CLIENT_SECRET);
    expect(log.text()).not.toContain(CLIENT_SECRET);
    expect(sm.closed()).toBe(1); // closed on failure too
  });

  it('permission denied and empty secrets say what to fix', async () => {
    const denied: SecretAccessClient = { accessSecretVersion: async () => { throw Object.assign(new Error('7 PERMISSION_DENIED'), { code: 7 }); } };
    await expect(resolveSecretRefs({ TOKEN_ENCRYPTION_KEY: 'sm://projects/p/secrets/k' }, { client: async () => denied })).rejects.toThrow(
      /TOKEN_ENCRYPTION_KEY: .*PERMISSION_DENIED \(grant roles\/secretmanager.secretAccessor/,
    );
    const empty = fakeSecretManager({ 'projects/p/secrets/k/versions/latest': '  \n' });
    await expect(resolveSecretRefs({ TOKEN_ENCRYPTION_KEY: 'sm://projects/p/secrets/k' }, { client: empty.client })).rejects.toThrow(
      'TOKEN_ENCRYPTION_KEY: the secret projects/p/secrets/k/versions/latest in Secret Manager is empty',
    );
  });

  it('withResolvedSecrets validates the configuration again with the values', async () => {
    const sm = fakeSecretManager({ 'projects/home/secrets/shared/versions/latest': SHARED });
    const raw = { GOOGLE_CLOUD_PROJECT: 'home', WORKER_SHARED_SECRET: 'sm://shared' };
    const parsed = loadEnv(raw);
    expect(parsed.WORKER_SHARED_SECRET).toBe('sm://shared');
    const env = await withResolvedSecrets(parsed, captureLogger().logger, raw, { client: sm.client });
    expect(env.WORKER_SHARED_SECRET).toBe(SHARED);
    expect(await withResolvedSecrets(parsed, captureLogger().logger, { WORKER_SHARED_SECRET: SHARED })).toBe(parsed);
  });
});

describe('the real client', () => {
  it('@google-cloud/secret-manager loads and has the method used (no call is made)', async () => {
    const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
    const client = new SecretManagerServiceClient({ projectId: 'offline', credentials: { client_email: 'x@offline', private_key: 'unused' } });
    expect(typeof client.accessSecretVersion).toBe('function');
    await client.close();
  });
});
