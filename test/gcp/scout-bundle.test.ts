import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The real Scout entry (src/scout/function.ts) through deploy/gcp/bundle-scout.mjs: what `gcloud functions
 * deploy --source` uploads. Small, one ESM file, and it loads and registers `offpeakScout` as the Functions
 * Framework would.
 */
const REPO = path.resolve(import.meta.dirname, '../..');
const OUT = `dist/scout-bundle-test-${process.pid}`;
/** Our code only (packages stay external); a regression that inlines a dependency would blow well past this. */
const MAX_BUNDLE_BYTES = 250 * 1024;
const FRAMEWORK_CLI = path.join(REPO, 'node_modules/@google-cloud/functions-framework/build/src/main.js');

afterAll(() => rmSync(path.join(REPO, OUT), { recursive: true, force: true }));

describe('Scout Cloud Function bundle', () => {
  it('bundles src/scout/function.ts small, with every package left to npm', async () => {
    const r = spawnSync(process.execPath, ['deploy/gcp/bundle-scout.mjs', '--out', OUT], { cwd: REPO, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const file = path.join(REPO, OUT, 'index.js');
    const size = statSync(file).size;
    process.stdout.write(`Scout bundle: ${size} bytes\n`);
    expect(size).toBeLessThan(MAX_BUNDLE_BYTES);
    const code = readFileSync(file, 'utf8');
    expect(code).toContain('from "@google-cloud/functions-framework"');
    expect(code).not.toMatch(/node_modules\//);
    expect(code).toMatch(/http\("offpeakScout"/);

    const manifest = JSON.parse(readFileSync(path.join(REPO, OUT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(manifest.dependencies).toHaveProperty('@google-cloud/functions-framework');
  });

  it('the bundle loads, exports and registers offpeakScout, and answers through the test server', async () => {
    const saved = process.env.WORKER_SERVICE_URL;
    delete process.env.WORKER_SERVICE_URL;
    process.env.LOG_LEVEL = 'silent';
    try {
      const mod = (await import(pathToFileURL(path.join(REPO, OUT, 'index.js')).href)) as { offpeakScout?: unknown };
      expect(typeof mod.offpeakScout).toBe('function');
      const server = getTestServer('offpeakScout');
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
        const res = await fetch(url, { method: 'POST' });
        expect(res.status).toBe(500);
        expect(await res.json()).toMatchObject({ error: 'config_error', message: expect.stringMatching(/WORKER_SERVICE_URL/) });
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    } finally {
      if (saved !== undefined) process.env.WORKER_SERVICE_URL = saved;
    }
  });

  it('runs under the functions-framework CLI, as Cloud Functions starts it (--target offpeakScout)', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const child = spawn(process.execPath, [FRAMEWORK_CLI, '--target', 'offpeakScout', '--source', OUT, '--port', String(port)], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    try {
      let res: Response | undefined;
      for (let i = 0; i < 100 && !res; i += 1) {
        res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST' }).catch(() => undefined);
        if (!res) await new Promise((r) => setTimeout(r, 100));
      }
      expect(res, output).toBeDefined();
      expect(res!.status, output).toBe(500);
      expect(await res!.json()).toMatchObject({ error: 'config_error' });
    } finally {
      child.kill('SIGTERM');
    }
  });
});
