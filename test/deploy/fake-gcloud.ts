/**
 * A stand-in Google Cloud for the deploy script tests: fixtures/gcloud, copied into a temp dir first on PATH,
 * records every call and answers describe/list queries from a state directory that its own create/deploy
 * calls fill in, so that a second run sees what the first created.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const DEPLOY = path.join(REPO, 'deploy/gcp/deploy.sh');
export const ROLLBACK = path.join(REPO, 'deploy/gcp/rollback.sh');
const FIXTURES = path.join(import.meta.dirname, 'fixtures');
export const PROJECT = 'proj-test';
export const DIGEST = `sha256:${'ab12'.repeat(16)}`;
export const PROJECT_NUMBER = '123456789012';
export const SA = (name: string) => `${name}@${PROJECT}.iam.gserviceaccount.com`;
export const runUrl = (service: string) => `https://${service}-h4sh-lm.a.run.app`;


/** Stands in for the bundler and for `offpeak check-tokens`: records the call in the same log, in order. */

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export class FakeCloud {
  readonly root = mkdtempSync(path.join(tmpdir(), 'offpeak-fake-gcloud-'));
  readonly bin = path.join(this.root, 'bin');
  readonly state = path.join(this.root, 'state');
  readonly source = path.join(this.root, 'source');
  readonly scoutDir = path.join(this.root, 'scout-bundle');

  constructor() {
    for (const dir of [this.bin, this.state, this.source]) mkdirSync(dir, { recursive: true });
    for (const name of ['gcloud', 'recorder']) {
      copyFileSync(path.join(FIXTURES, name), path.join(this.bin, name));
      chmodSync(path.join(this.bin, name), 0o755);
    }
    writeFileSync(path.join(this.source, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(path.join(this.state, 'calls.log'), '');
  }

  /** Runs a script in a clean environment (nothing of the developer's own gcloud settings leaks in). */
  run(script: string, args: string[] = [], env: Record<string, string | undefined> = {}): RunResult {
    const base: Record<string, string> = {
      PATH: `${this.bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: this.root,
      PROJECT_ID: PROJECT,
      FAKE_GCLOUD_STATE: this.state,
      FAKE_DIGEST: DIGEST,
      FAKE_PROJECT_NUMBER: PROJECT_NUMBER,
      OFFPEAK_SOURCE_ROOT: this.source,
      SCOUT_SOURCE_DIR: this.scoutDir,
      SCOUT_BUNDLE_CMD: `${this.bin}/recorder bundle`,
      OFFPEAK_CHECK_CMD: `${this.bin}/recorder check-tokens`,
    };
    const merged: Record<string, string> = { ...base };
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete merged[k];
      else merged[k] = v;
    }
    const r: SpawnSyncReturns<string> = spawnSync('bash', [script, ...args], { env: merged, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  calls(): string[][] {
    return readFileSync(path.join(this.state, 'calls.log'), 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => line.split('\x1f').slice(0, -1));
  }

  clearCalls(): void {
    writeFileSync(path.join(this.state, 'calls.log'), '');
  }

  mark(name: string): void {
    writeFileSync(path.join(this.state, name), '');
  }

  /** Routes all traffic of a service to one revision, as `update-traffic --to-revisions=REV=100` does. */
  pin(service: string, revision: string): void {
    writeFileSync(path.join(this.state, `serving-${service}`), `${revision}\n`);
  }

  revisions(service: string): string[] {
    return readFileSync(path.join(this.state, `revs-${service}`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ')[0]!);
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Calls whose leading words (flags excluded) start with the given words. */
export function callsOf(calls: string[][], ...words: string[]): string[][] {
  return calls.filter((call) => {
    const positional = call.filter((a) => !a.startsWith('--'));
    return words.every((w, i) => positional[i] === w);
  });
}

export function flag(call: string[] | undefined, name: string): string | undefined {
  const hit = call?.find((a) => a === name || a.startsWith(`${name}=`));
  if (hit === undefined) return undefined;
  return hit === name ? '' : hit.slice(name.length + 1);
}

/** `--set-env-vars=^|^A=1|B=2` → { A: '1', B: '2' } */
export function envVars(value: string | undefined): Record<string, string> {
  if (!value) return {};
  const body = value.startsWith('^|^') ? value.slice(3) : value;
  const sep = value.startsWith('^|^') ? '|' : ',';
  return Object.fromEntries(body.split(sep).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}
