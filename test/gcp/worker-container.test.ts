import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRefreshToken } from '../../src/cli/tokens.js';
import { buildSimulator, type Simulator } from '../../src/sim/index.js';
import { FileTokenStore } from '../../src/tokens/file-store.js';
import type { SimAccount } from '../helpers/sim.js';
import { tempDir } from '../helpers/temp.js';
import { SCOUT_SA, WORKER_URL } from './id-tokens.js';

/**
 * The Worker image's start command, run as a process the way Cloud Run runs it: the CMD of the Dockerfile,
 * from the repository root (the image's WORKDIR layout), with Cloud Run's environment (PORT, K_SERVICE, no
 * HOST) and the settings deploy.sh gives it. No Docker engine here, so the image itself is not built.
 */
const REPO = path.resolve(import.meta.dirname, '../..');
const CMD = JSON.parse(/^CMD (\[.*\])$/m.exec(readFileSync(path.join(REPO, 'Dockerfile'), 'utf8'))![1]!) as string[];
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

let sim: Simulator;
let simUrl: string;
let account: SimAccount;
let dir: Awaited<ReturnType<typeof tempDir>>;
let key: Buffer;
let storePath: string;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  sim = await buildSimulator();
  simUrl = await sim.listen(0, '127.0.0.1');
  const res = await fetch(new URL('/sim/accounts', simUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  account = (await res.json()) as SimAccount;
  dir = await tempDir();
  key = randomBytes(32);
  storePath = path.join(dir.path, 'store.json');
  const store = new FileTokenStore({ path: storePath, key });
  await importRefreshToken(store, 'default', account.refresh_token);
  await store.close();
});

afterAll(async () => {
  await sim.close();
  await dir.cleanup();
});

describe('Worker container start command', () => {
  it('is node dist/src/cli.js worker, and the build output exists', () => {
    expect(CMD).toEqual(['node', 'dist/src/cli.js', 'worker']);
    expect(existsSync(path.join(REPO, CMD[1]!)), 'run "npm run build" first (npm test does)').toBe(true);
  });

  it('runs with Cloud Run\'s environment: listens on 0.0.0.0:$PORT, /health answers, tokens need an ID token, SIGTERM stops it', async () => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PORT: String(port),
      K_SERVICE: 'offpeak-worker',
      K_REVISION: 'offpeak-worker-00001-abc',
      K_CONFIGURATION: 'offpeak-worker',
      GOOGLE_CLOUD_PROJECT: 'home-proj',
      LOG_FORMAT: 'json',
      TESLA_CLIENT_ID: account.client_id,
      TESLA_AUTH_URL: simUrl,
      TESLA_API_URL: simUrl,
      TOKEN_STORE: `file:${storePath}`,
      TOKEN_ENCRYPTION_KEY: key.toString('base64'),
      WORKER_AUTH_MODE: 'google',
      WORKER_AUDIENCES: WORKER_URL,
      WORKER_ALLOWED_CALLERS: SCOUT_SA,
    };
    const child = spawn(CMD[0] === 'node' ? process.execPath : CMD[0]!, CMD.slice(1), { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (!/"event":"worker_started"/.test(output)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Worker did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const started = JSON.parse(output.split('\n').find((l) => l.includes('"worker_started"'))!) as Record<string, unknown>;
      expect(started).toMatchObject({ auth: 'google', store: 'file', severity: 'INFO' });
      expect(String(started.url)).toContain(`:${port}`);
      // K_SERVICE without HOST: all interfaces (Cloud Run connects from outside the container), so a
      // non-loopback address of this machine answers too, when it has one.
      const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
      if (external) expect((await fetch(`http://${external.address}:${port}/health`)).status).toBe(200);

      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', service: 'offpeak-worker', tokens: { state: expect.stringMatching(/ok|expiring|expired/) } });

      const anonymous = await fetch(`http://127.0.0.1:${port}/get-token`, { headers: { 'x-cloud-trace-context': `${TRACE}/7;o=1`, authorization: 'Bearer not-an-id-token' } });
      expect(anonymous.status).toBe(401);
      await new Promise((r) => setTimeout(r, 100));
      const refused = output.split('\n').filter((l) => l.includes('"auth_refused"'));
      expect(refused.length).toBeGreaterThan(0);
      expect(JSON.parse(refused[0]!)).toMatchObject({ 'logging.googleapis.com/trace': `projects/home-proj/traces/${TRACE}`, severity: 'WARNING' });

      child.kill('SIGTERM'); // what Cloud Run sends before stopping an instance
      expect(await exited).toBe(0);
      expect(output).toMatch(/"event":"worker_stopping"/);
      expect(output).not.toContain('not-an-id-token');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
