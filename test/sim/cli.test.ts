import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSimFlags } from '../../src/sim/cli.js';

const MAIN = fileURLToPath(new URL('./fixtures/sim-main.ts', import.meta.url));
const children: ChildProcessWithoutNullStreams[] = [];

function start(args: string[]): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'sim', ...args], {
    env: { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'debug' },
  });
  children.push(child);
  return child;
}

/** Buffers the child's output; `firstLine` resolves with stdout's first line as soon as it is complete. */
function collect(child: ChildProcessWithoutNullStreams) {
  const out = { stdout: '', stderr: '' };
  let gotLine: (line: string) => void = () => {};
  const firstLine = new Promise<string>((resolve) => (gotLine = resolve));
  child.stdout.on('data', (d) => {
    out.stdout += String(d);
    if (out.stdout.includes('\n')) gotLine(out.stdout.split('\n')[0] ?? '');
  });
  child.stderr.on('data', (d) => (out.stderr += String(d)));
  const exit = once(child, 'exit').then(([code]) => ({ code: code as number | null, ...out }));
  return { firstLine, exit };
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('parseSimFlags', () => {
  const base = { port: '4455', host: '127.0.0.1', region: 'EU' };
  it('explains bad values', () => {
    expect(() => parseSimFlags({ ...base, accessTtl: 'abc' })).toThrow(
      "--access-ttl must be a positive integer number of seconds, got 'abc'",
    );
    expect(() => parseSimFlags({ ...base, accessTtl: '0' })).toThrow(/positive integer/);
    expect(() => parseSimFlags({ ...base, refreshGrace: '-1' })).toThrow(/--refresh-grace must be a non-negative integer/);
    expect(() => parseSimFlags({ ...base, port: '70000' })).toThrow(/--port must be an integer from 0 to 65535/);
    expect(() => parseSimFlags({ ...base, region: 'EUROPE' })).toThrow(/--region must be one of EU, NA, CN/);
  });
  it('maps flags to options', () => {
    const parsed = parseSimFlags({ ...base, region: 'na', refreshGrace: '0', revokeOnRefresh: true, wakeDelay: '0', sleepAfter: '60' });
    expect(parsed.options).toMatchObject({ region: 'NA', refreshGraceSec: 0, revokeAccessOnRefresh: true, wakeDelaySec: 0, sleepAfterSec: 60 });
  });
});

describe('offpeak sim (process)', () => {
  it('prints the listening line first, serves, logs JSON without tokens and stops on SIGTERM', async () => {
    const child = start(['--port', '0', '--access-ttl', '120']);
    const { firstLine, exit } = collect(child);
    const line = await firstLine;
    const match = /^offpeak simulator listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
    expect(match, line).not.toBeNull();
    const url = match![1]!;
    expect(((await (await fetch(`${url}/sim/health`)).json()) as { ok: boolean }).ok).toBe(true);
    const account = (await (await fetch(`${url}/sim/accounts`, { method: 'POST' })).json()) as { client_id: string; refresh_token: string };
    const tokenRes = await fetch(`${url}/oauth2/v3/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: account.client_id, refresh_token: account.refresh_token }),
    });
    const pair = (await tokenRes.json()) as { access_token: string; refresh_token: string; expires_in: number };
    expect(pair.expires_in).toBe(120);
    const list = await fetch(`${url}/api/1/vehicles`, { headers: { authorization: `Bearer ${pair.access_token}` } });
    expect(list.status).toBe(200);
    child.kill('SIGTERM');
    const { code, stdout } = await exit;
    expect(code).toBe(0);
    expect(stdout).toContain('/sim/accounts'); // the human hint
    const jsonLines = stdout.split('\n').filter((l) => l.startsWith('{'));
    expect(jsonLines.length).toBeGreaterThan(0);
    for (const l of jsonLines) expect(() => JSON.parse(l)).not.toThrow();
    expect(jsonLines.some((l) => JSON.parse(l).message === 'simulator stopping')).toBe(true);
    for (const secret of [account.refresh_token, pair.refresh_token, pair.access_token]) expect(stdout.includes(secret)).toBe(false);
  });

  it('rejects a bad option with a clear message and a non-zero exit', async () => {
    const { code, stderr, stdout } = await collect(start(['--access-ttl', 'abc'])).exit;
    expect(code).toBe(2);
    expect(stderr).toContain("--access-ttl must be a positive integer number of seconds, got 'abc'");
    expect(stdout).not.toContain('listening');
  });
});
