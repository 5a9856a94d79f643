import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';

/** The Worker image's key properties, checked on the text: no Docker engine is available to build it here. */
const REPO = path.resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const stages = instructions.reduce<string[][]>((acc, line) => {
  if (/^FROM\s/i.test(line)) acc.push([]);
  acc.at(-1)?.push(line);
  return acc;
}, []);
const runtime = stages.at(-1) ?? [];
const nodeImage = /^ARG NODE_IMAGE=(\S+)/m.exec(dockerfile)?.[1] ?? '';

describe('Dockerfile (Worker on Cloud Run)', () => {
  it('builds on a Node 22 base, tag pinned to the major (digest pinning documented)', () => {
    expect(nodeImage).toMatch(/^node:22(?:\.\d+){0,2}-(?:bookworm-slim|slim|alpine)(?:@sha256:[0-9a-f]{64})?$/);
    for (const stage of stages) expect(stage[0]).toMatch(/^FROM (?:\$\{NODE_IMAGE\}|node:22\S*)( AS \w+)?$/i);
    if (!nodeImage.includes('@sha256:')) expect(dockerfile).toMatch(/pin the digest/);
  });

  it('is multi-stage: npm ci and the build in the first stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages[0]!.join('\n');
    expect(build).toMatch(/RUN npm ci\b/);
    expect(build).toMatch(/RUN npm run build\b/);
    expect(build).not.toMatch(/--omit=dev/);
  });

  it('runtime stage: production dependencies only, NODE_ENV=production, non-root, the Worker command', () => {
    const text = runtime.join('\n');
    expect(text).toMatch(/RUN npm ci --omit=dev\b/);
    expect(text).toMatch(/ENV NODE_ENV=production/);
    expect(text).toMatch(/COPY --from=\w+ \/app\/dist\/src \.\/dist\/src/);
    const users = runtime.filter((l) => /^USER\s/i.test(l));
    expect(users.at(-1)).toBe('USER node');
    // Nothing after USER may switch back to root.
    const afterUser = runtime.slice(runtime.indexOf('USER node') + 1);
    expect(afterUser.some((l) => /^USER\s+(root|0)\b/i.test(l))).toBe(false);
    expect(runtime.at(-1)).toBe('CMD ["node", "dist/src/cli.js", "worker"]');
    expect(dockerfile).toMatch(/\/health/); // documented, instead of a HEALTHCHECK Cloud Run ignores
  });

  it('.dockerignore keeps local tokens, keys and build output out of the build context', () => {
    const ignored = readFileSync(path.join(REPO, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['.offpeak/', 'node_modules/', 'dist/', '.git/', '.env']) expect(ignored).toContain(entry);
    for (const needed of ['src', 'bench', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
      expect(ignored.some((l) => l === needed || l === `${needed}/`)).toBe(false);
    }
  });

  it('everything src/ imports at run time is a production dependency (npm ci --omit=dev is enough)', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const missing = new Set<string>();
    for (const file of tsFiles(path.join(REPO, 'src'))) {
      const source = readFileSync(file, 'utf8');
      // Value imports only: `import type` disappears at compile time.
      for (const m of source.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'"]*?from\s+'([^'.][^']*)'|import\('([^'.][^']*)'\)/gm)) {
        const spec = (m[1] ?? m[2])!;
        if (spec.startsWith('node:') || builtins.has(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!(name in pkg.dependencies)) missing.add(`${name} (${path.relative(REPO, file)})`);
      }
    }
    expect([...missing]).toEqual([]);
  });
});

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? tsFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}
