import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callsOf, DEPLOY, FakeCloud, flag, PROJECT, ROLLBACK, runUrl } from './fake-gcloud.js';

let cloud: FakeCloud;

/** Two deploys: Worker revisions 1 (first deploy), 2 (its audience update), 3 (second deploy); Scout 1 and 2. */
beforeEach(() => {
  cloud = new FakeCloud();
  for (let i = 0; i < 2; i += 1) expect(cloud.run(DEPLOY).status).toBe(0);
  cloud.clearCalls();
});
afterEach(() => cloud.dispose());

const trafficMoves = (calls: string[][]) =>
  callsOf(calls, 'run', 'services', 'update-traffic').map((c) => [c[3], flag(c, '--to-revisions')]);

describe('rollback.sh', () => {
  it('routes the Worker and the Scout back to the revision before the serving one, then runs the smoke test', () => {
    const worker = cloud.revisions('offpeak-worker');
    const scout = cloud.revisions('offpeak-scout');
    expect(worker).toHaveLength(3);
    expect(scout).toHaveLength(2);

    const r = cloud.run(ROLLBACK);
    expect(r.status, r.stderr).toBe(0);
    const calls = cloud.calls();
    expect(trafficMoves(calls)).toEqual([
      ['offpeak-worker', `${worker[1]}=100`],
      ['offpeak-scout', `${scout[0]}=100`],
    ]);
    // It looked the previous revisions up rather than guessing them.
    expect(callsOf(calls, 'run', 'revisions', 'list').map((c) => flag(c, '--service'))).toEqual(['offpeak-worker', 'offpeak-scout']);
    expect(calls.at(-1)).toEqual(['<check-tokens>', '--worker-url', runUrl('offpeak-worker')]);
    expect(calls.every((c) => c[0]?.startsWith('<') || c.includes(`--project=${PROJECT}`))).toBe(true);
  });

  it('steps one more revision back each time, and refuses (changing nothing) when there is none', () => {
    expect(cloud.run(ROLLBACK).status).toBe(0);
    cloud.clearCalls();
    const r = cloud.run(ROLLBACK);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Scout \(offpeak-scout\): no revision older than offpeak-scout-00001/);
    // The Worker had an older revision, but nothing moves when any part cannot be rolled back.
    expect(trafficMoves(cloud.calls())).toEqual([]);

    const w = cloud.run(ROLLBACK, [], { ROLLBACK_TARGETS: 'worker' });
    expect(w.status, w.stderr).toBe(0);
    expect(trafficMoves(cloud.calls())).toEqual([['offpeak-worker', `${cloud.revisions('offpeak-worker')[0]}=100`]]);
  });

  it('goes to an explicitly chosen revision', () => {
    const target = cloud.revisions('offpeak-worker')[0]!;
    const r = cloud.run(ROLLBACK, [], { ROLLBACK_TARGETS: 'worker', ROLLBACK_WORKER_REVISION: target });
    expect(r.status, r.stderr).toBe(0);
    expect(trafficMoves(cloud.calls())).toEqual([['offpeak-worker', `${target}=100`]]);
  });

  it('fails when the smoke test fails after the rollback', () => {
    const r = cloud.run(ROLLBACK, [], { OFFPEAK_CHECK_CMD: 'false' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/smoke test failed after the rollback/);
  });

  it('--dry-run prints the traffic changes and makes none', () => {
    const r = cloud.run(ROLLBACK, ['--dry-run']);
    expect(r.status, r.stderr).toBe(0);
    expect(trafficMoves(cloud.calls())).toEqual([]);
    expect(r.stdout).toMatch(/^\+ gcloud run services update-traffic offpeak-worker .*--to-revisions=offpeak-worker-00002-x2=100/m);
    expect(r.stdout).toMatch(/^\+ gcloud run services update-traffic offpeak-scout .*--to-revisions=offpeak-scout-00001-x1=100/m);
  });

  it('fails without PROJECT_ID before calling gcloud', () => {
    const r = cloud.run(ROLLBACK, [], { PROJECT_ID: undefined });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/PROJECT_ID is required/);
    expect(cloud.calls()).toEqual([]);
  });
});
