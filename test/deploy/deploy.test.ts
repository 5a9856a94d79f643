import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  callsOf,
  DEPLOY,
  DIGEST,
  envVars,
  FakeCloud,
  flag,
  PROJECT,
  PROJECT_NUMBER,
  runUrl,
  SA,
} from './fake-gcloud.js';

const IMAGE = `europe-central2-docker.pkg.dev/${PROJECT}/offpeak/offpeak-worker`;
const WORKER_URL = runUrl('offpeak-worker');
const SCOUT_URL = runUrl('offpeak-scout');
const DETERMINISTIC_URL = `https://offpeak-worker-${PROJECT_NUMBER}.europe-central2.run.app`;
const SECRET_VALUES = { TESLA_CLIENT_SECRET: 'tesla-client-secret-VALUE-5f1c', TOKEN_ENCRYPTION_KEY: 'encryption-key-VALUE-93ab', WORKER_SHARED_SECRET: 'shared-secret-VALUE-77aa' };

/** Words that mark a call as changing the project (for idempotence and dry-run checks). */
const CHANGING = ['create', 'deploy', 'submit', 'enable', 'update', 'update-traffic', 'add-iam-policy-binding', 'add-invoker-policy-binding'];
const changes = (calls: string[][]) =>
  calls.filter((c) => !c[0]?.startsWith('<') && c.filter((a) => !a.startsWith('--')).some((w) => CHANGING.includes(w)));

let cloud: FakeCloud;
beforeEach(() => {
  cloud = new FakeCloud();
});
afterEach(() => cloud.dispose());

function deployOk(env: Record<string, string | undefined> = {}) {
  const r = cloud.run(DEPLOY, [], { ...SECRET_VALUES, TESLA_CLIENT_ID: 'client-id-1', ...env });
  expect(r.stderr).not.toMatch(/unhandled call/);
  expect(r.status, r.stderr).toBe(0);
  return cloud.calls();
}

describe('deploy.sh on a fresh project', () => {
  it('runs the steps in order: APIs, identities, storage, IAM, build, Worker, Scout, schedules, smoke test', () => {
    const calls = deployOk();
    const at = (...words: string[]) => calls.findIndex((c) => callsOf([c], ...words).length > 0);
    const order = [
      at('services', 'enable'),
      at('iam', 'service-accounts', 'create'),
      at('artifacts', 'repositories', 'create'),
      at('secrets', 'add-iam-policy-binding'),
      at('builds', 'submit'),
      at('artifacts', 'docker', 'images', 'describe'),
      at('run', 'deploy'),
      at('run', 'revisions', 'describe'),
      at('<bundle>'),
      at('functions', 'deploy'),
      at('scheduler', 'jobs', 'create'),
      at('<check-tokens>'),
    ];
    expect(order.every((i) => i >= 0), JSON.stringify(order)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(calls.every((c) => c[0]?.startsWith('<') || c.includes(`--project=${PROJECT}`))).toBe(true);
  });

  it('enables the APIs and creates the three service accounts', () => {
    const calls = deployOk();
    const apis = callsOf(calls, 'services', 'enable')[0]!;
    for (const api of ['run', 'cloudfunctions', 'cloudbuild', 'artifactregistry', 'cloudscheduler', 'secretmanager', 'firestore', 'iam']) {
      expect(apis).toContain(`${api}.googleapis.com`);
    }
    expect(callsOf(calls, 'iam', 'service-accounts', 'create').map((c) => c[3])).toEqual(['offpeak-worker', 'offpeak-scout', 'offpeak-scheduler']);
    expect(callsOf(calls, 'firestore', 'databases', 'create')).toHaveLength(1);
  });

  it('deploys the Worker by pinned digest, private, with its own identity, config and secrets by reference', () => {
    const calls = deployOk();
    const deploys = callsOf(calls, 'run', 'deploy', 'offpeak-worker');
    expect(deploys).toHaveLength(1);
    const d = deploys[0]!;
    expect(flag(d, '--image')).toBe(`${IMAGE}@${DIGEST}`);
    expect(d).toContain('--no-allow-unauthenticated');
    expect(d).not.toContain('--allow-unauthenticated');
    expect(flag(d, '--region')).toBe('europe-central2');
    expect(flag(d, '--service-account')).toBe(SA('offpeak-worker'));
    expect(flag(d, '--set-secrets')).toBe(
      'TESLA_CLIENT_SECRET=offpeak-tesla-client-secret:latest,TOKEN_ENCRYPTION_KEY=offpeak-token-encryption-key:latest',
    );
    const env = envVars(flag(d, '--set-env-vars'));
    expect(env).toMatchObject({
      TOKEN_STORE: 'firestore:offpeak',
      GOOGLE_CLOUD_PROJECT: PROJECT,
      OFFPEAK_TIMEZONE: 'Europe/Warsaw',
      WORKER_AUTH_MODE: 'google',
      WORKER_ALLOWED_CALLERS: `${SA('offpeak-scout')},${SA('offpeak-scheduler')}`,
      WORKER_AUDIENCES: DETERMINISTIC_URL,
      HOST: '0.0.0.0',
      TESLA_CLIENT_ID: 'client-id-1',
    });
    expect(env).not.toHaveProperty('TESLA_CLIENT_SECRET');
    // The build was tagged, but only the digest is deployed.
    expect(flag(callsOf(calls, 'builds', 'submit')[0], '--tag')).toMatch(new RegExp(`^${IMAGE}:\\d{8}-\\d{6}$`));
  });

  it('never puts a secret value into any command', () => {
    const calls = deployOk();
    const all = JSON.stringify(calls);
    for (const value of Object.values(SECRET_VALUES)) expect(all).not.toContain(value);
  });

  it('adds the real Worker URL to the accepted audiences once it is known, then sends traffic to the new revision', () => {
    const calls = deployOk();
    const update = callsOf(calls, 'run', 'services', 'update', 'offpeak-worker');
    expect(update).toHaveLength(1);
    expect(envVars(flag(update[0], '--update-env-vars'))).toEqual({ WORKER_AUDIENCES: `${WORKER_URL},${DETERMINISTIC_URL}` });
    const traffic = callsOf(calls, 'run', 'services', 'update-traffic', 'offpeak-worker');
    expect(traffic).toHaveLength(1);
    expect(traffic[0]).toContain('--to-latest');
  });

  it('verifies that the serving Worker revision runs the digest just built', () => {
    const calls = deployOk();
    const serving = cloud.revisions('offpeak-worker').at(-1)!;
    expect(callsOf(calls, 'run', 'revisions', 'describe', serving)).toHaveLength(1);
  });

  it('deploys the Scout as a private 2nd gen nodejs22 HTTP function that finds the Worker by URL', () => {
    const calls = deployOk();
    const bundle = calls.find((c) => c[0] === '<bundle>')!;
    expect(bundle).toEqual(['<bundle>', '--out', cloud.scoutDir]);
    const d = callsOf(calls, 'functions', 'deploy', 'offpeak-scout')[0]!;
    for (const f of ['--gen2', '--trigger-http', '--no-allow-unauthenticated']) expect(d).toContain(f);
    expect(d).not.toContain('--allow-unauthenticated');
    expect(flag(d, '--runtime')).toBe('nodejs22');
    expect(flag(d, '--entry-point')).toBe('offpeakScout');
    expect(flag(d, '--source')).toBe(cloud.scoutDir);
    expect(flag(d, '--service-account')).toBe(SA('offpeak-scout'));
    expect(envVars(flag(d, '--set-env-vars'))).toMatchObject({
      WORKER_SERVICE_URL: WORKER_URL,
      WORKER_AUTH_MODE: 'google',
      TOKEN_STORE: 'firestore:offpeak',
      GOOGLE_CLOUD_PROJECT: PROJECT,
    });
    // The Scout may decrypt the store for its read-only fallback, but never gets the Tesla client secret.
    expect(flag(d, '--set-secrets')).toBe('TOKEN_ENCRYPTION_KEY=offpeak-token-encryption-key:latest');
    expect(callsOf(calls, 'functions', 'describe', 'offpeak-scout').some((c) => flag(c, '--format') === 'value(state)')).toBe(true);
  });

  it('schedules the Scout every 15 minutes and the daily replan in the home time zone, with OIDC', () => {
    const calls = deployOk();
    const jobs = callsOf(calls, 'scheduler', 'jobs', 'create', 'http');
    expect(jobs.map((c) => c[4])).toEqual(['offpeak-scout-tick', 'offpeak-daily-replan']);
    const [scout, replan] = jobs;
    expect(flag(scout, '--schedule')).toBe('*/15 * * * *');
    expect(flag(scout, '--uri')).toBe(SCOUT_URL);
    expect(flag(scout, '--oidc-token-audience')).toBe(SCOUT_URL);
    expect(flag(replan, '--schedule')).toBe('30 13 * * *');
    expect(flag(replan, '--uri')).toBe(`${WORKER_URL}/run-cycle`);
    expect(flag(replan, '--message-body')).toBe('{"reason":"daily-replan"}');
    expect(flag(replan, '--oidc-token-audience')).toBe(WORKER_URL);
    for (const job of jobs) {
      expect(flag(job, '--time-zone')).toBe('Europe/Warsaw');
      expect(flag(job, '--oidc-service-account-email')).toBe(SA('offpeak-scheduler'));
      expect(flag(job, '--http-method')).toBe('POST');
    }
  });

  it('grants least privilege: each identity only what it uses, secrets and invokers per resource', () => {
    const calls = deployOk();
    const secretGrants = callsOf(calls, 'secrets', 'add-iam-policy-binding').map((c) => [c[2], flag(c, '--member'), flag(c, '--role')]);
    expect(secretGrants).toEqual([
      ['offpeak-tesla-client-secret', `serviceAccount:${SA('offpeak-worker')}`, 'roles/secretmanager.secretAccessor'],
      ['offpeak-token-encryption-key', `serviceAccount:${SA('offpeak-worker')}`, 'roles/secretmanager.secretAccessor'],
      ['offpeak-token-encryption-key', `serviceAccount:${SA('offpeak-scout')}`, 'roles/secretmanager.secretAccessor'],
    ]);
    const projectGrants = callsOf(calls, 'projects', 'add-iam-policy-binding').map((c) => [flag(c, '--member'), flag(c, '--role')]);
    expect(projectGrants).toEqual([
      [`serviceAccount:${SA('offpeak-worker')}`, 'roles/datastore.user'],
      [`serviceAccount:${SA('offpeak-scout')}`, 'roles/datastore.viewer'],
    ]);
    const workerInvokers = callsOf(calls, 'run', 'services', 'add-iam-policy-binding', 'offpeak-worker');
    expect(workerInvokers.map((c) => [flag(c, '--member'), flag(c, '--role')])).toEqual([
      [`serviceAccount:${SA('offpeak-scout')}`, 'roles/run.invoker'],
      [`serviceAccount:${SA('offpeak-scheduler')}`, 'roles/run.invoker'],
    ]);
    const scoutInvokers = callsOf(calls, 'functions', 'add-invoker-policy-binding', 'offpeak-scout');
    expect(scoutInvokers.map((c) => flag(c, '--member'))).toEqual([`serviceAccount:${SA('offpeak-scheduler')}`]);
  });

  it('without the store fallback the Scout gets no data access and no secrets', () => {
    const calls = deployOk({ SCOUT_STORE_FALLBACK: 'false' });
    const roles = callsOf(calls, 'projects', 'add-iam-policy-binding').map((c) => flag(c, '--role'));
    expect(roles).toEqual(['roles/datastore.user']);
    expect(callsOf(calls, 'secrets', 'add-iam-policy-binding').every((c) => flag(c, '--member')!.includes('offpeak-worker@'))).toBe(true);
    const d = callsOf(calls, 'functions', 'deploy')[0]!;
    expect(d).toContain('--clear-secrets');
    expect(envVars(flag(d, '--set-env-vars'))).not.toHaveProperty('TOKEN_STORE');
  });

  it('honours configuration from the environment', () => {
    const calls = deployOk({ REGION: 'europe-west1', OFFPEAK_TIMEZONE: 'Europe/Brussels', WORKER_SERVICE: 'w2', SCOUT_FUNCTION: 's2' });
    const d = callsOf(calls, 'run', 'deploy', 'w2')[0]!;
    expect(flag(d, '--image')).toBe(`europe-west1-docker.pkg.dev/${PROJECT}/offpeak/offpeak-worker@${DIGEST}`);
    expect(flag(d, '--region')).toBe('europe-west1');
    expect(callsOf(calls, 'functions', 'deploy', 's2')).toHaveLength(1);
    expect(callsOf(calls, 'scheduler', 'jobs', 'create').every((c) => flag(c, '--time-zone') === 'Europe/Brussels')).toBe(true);
  });
});

describe('deploy.sh is idempotent', () => {
  it('a second run creates nothing and updates the existing schedules in place', () => {
    deployOk();
    cloud.clearCalls();
    const calls = deployOk();
    expect(calls.filter((c) => c.includes('create'))).toEqual([]);
    const jobs = callsOf(calls, 'scheduler', 'jobs', 'update', 'http');
    expect(jobs.map((c) => c[4])).toEqual(['offpeak-scout-tick', 'offpeak-daily-replan']);
    expect(jobs.every((c) => flag(c, '--update-headers') === 'Content-Type=application/json')).toBe(true);
    // The Worker URL is known now: one deploy, no follow-up update for the audience.
    expect(callsOf(calls, 'run', 'deploy')).toHaveLength(1);
    expect(callsOf(calls, 'run', 'services', 'update')).toHaveLength(0);
    expect(envVars(flag(callsOf(calls, 'run', 'deploy')[0], '--set-env-vars')).WORKER_AUDIENCES).toBe(`${WORKER_URL},${DETERMINISTIC_URL}`);
  });

  it('a deploy after a rollback sends traffic back to the newest revisions', () => {
    deployOk();
    cloud.pin('offpeak-worker', cloud.revisions('offpeak-worker')[0]!); // as a rollback leaves it
    cloud.clearCalls();
    const calls = deployOk();
    expect(callsOf(calls, 'run', 'services', 'update-traffic').map((c) => [c[3], c.includes('--to-latest')])).toEqual([
      ['offpeak-worker', true],
      ['offpeak-scout', true],
    ]);
  });
});

describe('deploy.sh refuses clearly', () => {
  it('fails without PROJECT_ID before calling gcloud', () => {
    const r = cloud.run(DEPLOY, [], { PROJECT_ID: undefined });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/PROJECT_ID is required/);
    expect(cloud.calls()).toEqual([]);
  });

  it('fails on an unknown argument', () => {
    const r = cloud.run(DEPLOY, ['--yes']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown argument: --yes/);
  });

  it('fails before changing anything when a secret is missing, saying how to create it', () => {
    cloud.mark('missing-secret-offpeak-tesla-client-secret');
    const r = cloud.run(DEPLOY);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/secret offpeak-tesla-client-secret not found/);
    expect(r.stderr).toMatch(/gcloud secrets create offpeak-tesla-client-secret .*--data-file=-/);
    expect(changes(cloud.calls())).toEqual([]);
  });

  it('fails when the serving Worker revision does not run the new digest', () => {
    const r = cloud.run(DEPLOY, [], { FAKE_SERVING_IMAGE: `${IMAGE}@sha256:${'0'.repeat(64)}` });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/not the digest just built/);
    expect(callsOf(cloud.calls(), 'functions', 'deploy')).toEqual([]);
  });

  it('fails when the Scout function is not ACTIVE', () => {
    const r = cloud.run(DEPLOY, [], { FAKE_FUNCTION_STATE: 'FAILED' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/offpeak-scout is FAILED, not ACTIVE/);
    expect(callsOf(cloud.calls(), 'scheduler', 'jobs', 'create')).toEqual([]);
  });

  it('fails when the smoke test fails, pointing at the rollback', () => {
    const r = cloud.run(DEPLOY, [], { OFFPEAK_CHECK_CMD: `${cloud.bin}/recorder check-tokens; exit 3 #` });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/smoke test failed.*rollback\.sh/);
  });
});

describe('deploy.sh --dry-run', () => {
  it('changes nothing and prints the commands it would run', () => {
    const r = cloud.run(DEPLOY, ['--dry-run'], SECRET_VALUES);
    expect(r.status, r.stderr).toBe(0);
    expect(changes(cloud.calls())).toEqual([]);
    expect(cloud.calls().some((c) => c[0] === '<bundle>' || c[0] === '<check-tokens>')).toBe(false);
    expect(r.stdout).toMatch(/^\+ gcloud run deploy offpeak-worker .*--no-allow-unauthenticated/m);
    expect(r.stdout).toMatch(/^\+ gcloud functions deploy offpeak-scout .*--runtime=nodejs22/m);
    expect(r.stdout).toMatch(/check-tokens --worker-url/);
    for (const value of Object.values(SECRET_VALUES)) expect(r.stdout).not.toContain(value);
  });
});
