#!/usr/bin/env node
// Makes the directory that `gcloud functions deploy --source` uploads for the Scout: our TypeScript bundled
// into one ESM file (no build step in Google's build), plus the project's package.json and lockfile so Cloud
// Build installs exactly the locked dependency versions. Third-party packages stay external: several of them
// (Firestore's gRPC stack) load files at run time and break when bundled.
// Usage: node deploy/gcp/bundle-scout.mjs [--entry src/scout/function.ts] [--out dist/scout-function] [--root .]
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { entry: { type: 'string' }, out: { type: 'string' }, root: { type: 'string' } },
});
const root = path.resolve(values.root ?? process.cwd());
const entry = path.resolve(root, values.entry ?? process.env.SCOUT_ENTRY ?? 'src/scout/function.ts');
const out = path.resolve(root, values.out ?? 'dist/scout-function');

function fail(message) {
  console.error(`bundle-scout: ${message}`);
  process.exit(1);
}

const isFile = (p) => stat(p).then((s) => s.isFile(), () => false);

if (!(await isFile(entry))) {
  fail(`entry ${entry} not found: set SCOUT_ENTRY (or --entry) to the module that exports the Scout's HTTP function`);
}
// The output directory is deleted first; never let that be the project or one of its parents.
if (out === root || !out.startsWith(root + path.sep) || root.startsWith(out + path.sep)) {
  fail(`refusing to use ${out} as output: it must be a directory inside ${root}`);
}

const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

await build({
  absWorkingDir: root,
  entryPoints: [entry],
  outfile: path.join(out, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  packages: 'external',
  legalComments: 'none',
  logLevel: 'warning',
});

// Same dependency lists as the project (npm ci refuses a lockfile that disagrees with package.json), but no
// scripts: Google's build must not run our build or lifecycle hooks, only install.
const manifest = {
  name: pkg.name,
  version: pkg.version,
  private: true,
  type: 'module',
  main: 'index.js',
  engines: pkg.engines,
  dependencies: pkg.dependencies ?? {},
  devDependencies: pkg.devDependencies ?? {},
};
await writeFile(path.join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
if (await isFile(path.join(root, 'package-lock.json'))) {
  await copyFile(path.join(root, 'package-lock.json'), path.join(out, 'package-lock.json'));
}
console.error(`bundle-scout: wrote ${path.relative(root, out) || out} (index.js, package.json) from ${path.relative(root, entry)}`);
