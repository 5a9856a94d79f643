import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO } from './fake-gcloud.js';

const BUNDLER = path.join(REPO, 'deploy/gcp/bundle-scout.mjs');
let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'offpeak-bundle-'));
  mkdirSync(path.join(root, 'src/scout'), { recursive: true });
  writeFileSync(
    path.join(root, 'package.json'),
    JSON.stringify({
      name: 'offpeak',
      version: '1.2.3',
      type: 'module',
      engines: { node: '>=20.11' },
      scripts: { build: 'tsc', postinstall: 'echo no' },
      dependencies: { 'tiny-dep': '^1.0.0' },
      devDependencies: { typescript: '~5.9.3' },
    }),
  );
  writeFileSync(path.join(root, 'package-lock.json'), '{"lockfileVersion":3}\n');
  writeFileSync(path.join(root, 'src/scout/greeting.ts'), `export const greeting = (name: string): string => 'hello ' + name;\n`);
  writeFileSync(
    path.join(root, 'src/scout/function.ts'),
    `import { greeting } from './greeting.js';\nimport { pad } from 'tiny-dep';\n` +
      `export async function offpeakScout(name: string): Promise<string> { return pad(greeting(name)); }\n`,
  );
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const bundle = (...args: string[]) => spawnSync('node', [BUNDLER, '--root', root, ...args], { cwd: REPO, encoding: 'utf8' });

describe('bundle-scout.mjs', () => {
  it('bundles our code into one ESM file, keeps packages external and ships the locked manifest without scripts', async () => {
    const r = bundle('--out', 'dist/scout-function');
    expect(r.status, r.stderr).toBe(0);
    const out = path.join(root, 'dist/scout-function');
    const code = readFileSync(path.join(out, 'index.js'), 'utf8');
    expect(code).toContain("from \"tiny-dep\"");
    expect(code).toContain('"hello "');
    expect(code).not.toContain('./greeting');

    const manifest = JSON.parse(readFileSync(path.join(out, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: 'offpeak', type: 'module', main: 'index.js', dependencies: { 'tiny-dep': '^1.0.0' } });
    expect(manifest).not.toHaveProperty('scripts');
    expect(readFileSync(path.join(out, 'package-lock.json'), 'utf8')).toContain('lockfileVersion');

    // It runs as the Functions Framework would load it (with the dependency installed).
    mkdirSync(path.join(out, 'node_modules/tiny-dep'), { recursive: true });
    writeFileSync(path.join(out, 'node_modules/tiny-dep/package.json'), '{"name":"tiny-dep","type":"module","main":"index.js"}');
    writeFileSync(path.join(out, 'node_modules/tiny-dep/index.js'), 'export const pad = (s) => `[${s}]`;\n');
    const mod = (await import(pathToFileURL(path.join(out, 'index.js')).href)) as { offpeakScout(n: string): Promise<string> };
    await expect(mod.offpeakScout('scout')).resolves.toBe('[hello scout]');
  });

  it('replaces an old bundle instead of mixing files', () => {
    const out = path.join(root, 'dist/scout-function');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'stale.js'), '');
    expect(bundle('--out', out).status).toBe(0);
    expect(existsSync(path.join(out, 'stale.js'))).toBe(false);
  });

  it('says which setting to fix when the entry is missing', () => {
    const r = bundle('--entry', 'src/scout/nope.ts', '--out', 'dist/x');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/entry .*nope\.ts not found: set SCOUT_ENTRY/);
  });

  it('refuses to delete the project or a directory outside it', () => {
    for (const out of ['.', '..', '/tmp']) {
      const r = bundle('--out', out);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/refusing to use/);
    }
    expect(existsSync(path.join(root, 'package.json'))).toBe(true);
  });
});
