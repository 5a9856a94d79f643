/**
 * bench:tokens — GET /get-token of the Worker against a bare node:http server answering a same-sized JSON,
 * both measured in this run on loopback at 50 connections (wrk when installed, else autocannon), with each
 * server's CPU time per request; the Worker again after an idle spell; its idle RSS; and the time an
 * `offpeak scout` process takes from start to exit against a local Worker.
 *
 * The simulator runs in this process; the Worker and the baseline each run in their own process.
 * Knobs: BENCH_DURATION_SEC (10), BENCH_IDLE_SEC (20), BENCH_SCOUT_RUNS (15), LOG_LEVEL, and WORKER_NODE_ARGS
 * (Node options for the Worker, e.g. --cpu-prof).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { buildSimulator } from '../src/sim/index.js';
import { FileTokenStore } from '../src/tokens/file-store.js';
import { importRefreshToken } from '../src/cli/tokens.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const BARE = fileURLToPath(new URL('./bare-server.js', import.meta.url));
const SECRET = randomBytes(24).toString('base64url');
const CONNECTIONS = 50;
const DURATION_SEC = Number(process.env.BENCH_DURATION_SEC ?? 10);
const SCOUT_RUNS = Number(process.env.BENCH_SCOUT_RUNS ?? 15);
const IDLE_SEC = Number(process.env.BENCH_IDLE_SEC ?? 20);

function start(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = ready.exec(out);
      if (match) {
        proc.stdout!.removeAllListeners('data');
        proc.stdout!.resume(); // keep draining the log so the process never blocks on a full pipe
        resolve({ proc, url: match[1]! });
      }
    });
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${out}`)));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts the Worker on a known port and waits until /health answers (works at any log level). */
async function startWorker(env: Record<string, string>): Promise<{ proc: ChildProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // WORKER_NODE_ARGS lets you profile the Worker under this load, e.g. WORKER_NODE_ARGS=--cpu-prof.
  const nodeArgs = process.env.WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const proc = spawn(process.execPath, [...nodeArgs, CLI, 'worker'], { env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`offpeak worker exited with ${proc.exitCode}`);
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) return { proc, url };
    if (Date.now() > deadline) throw new Error('offpeak worker did not become healthy within 20 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Load from wrk (C, light on the two shared cores) when it is installed, else autocannon (JavaScript, which
 * competes with the server under test for CPU and so understates both servers).
 */
const WRK = spawnSync('wrk', ['--version']).error ? null : 'wrk';
const LOAD_TOOL = WRK ?? 'autocannon';

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
}

/**
 * Load on `url` after a 2 s warm-up (JIT, connection pools), plus the server process's CPU time per request
 * (user + system, from /proc) over the measured run: steadier than throughput on a shared two-core machine,
 * where the load generator competes with the server for the CPU.
 */
async function load(url: string, headers: Record<string, string>, pid: number) {
  const run = (duration: number) => (WRK ? loadWithWrk(url, headers, duration) : loadWithAutocannon(url, headers, duration));
  await run(2);
  const before = cpuTicks(pid);
  const result = await run(DURATION_SEC);
  const ticks = cpuTicks(pid) - before;
  return { ...result, cpuUsPerRequest: (ticks * 1e6) / CLOCK_TICKS_PER_SEC / result.requests };
}

/** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
const CLOCK_TICKS_PER_SEC = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function loadWithAutocannon(url: string, headers: Record<string, string>, duration: number): Promise<LoadResult> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration, headers });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total };
}

async function loadWithWrk(url: string, headers: Record<string, string>, duration: number): Promise<LoadResult> {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${duration}s`, '--latency', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    p.stdout!.on('data', (c: Buffer) => (text += c.toString()));
    p.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}`))));
  });
  if (/Non-2xx or 3xx responses/.test(out)) throw new Error(`${url}: non-2xx answers under load:\n${out}`);
  const ms = (label: string) => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) throw new Error(`cannot read the ${label}th percentile from wrk:\n${out}`);
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  return { rps, p50: ms('50'), p99: ms('99'), requests };
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'offpeak-bench-'));
  const sim = await buildSimulator({});
  const simUrl = await sim.listen(0, '127.0.0.1');
  const account = (await (await fetch(new URL('/sim/accounts', simUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { client_id: string; refresh_token: string };
  const key = randomBytes(32);
  const storePath = join(dir, 'store.json');
  const store = new FileTokenStore({ path: storePath, key });
  await importRefreshToken(store, 'default', account.refresh_token);
  await store.close();
  const env = {
    TESLA_AUTH_URL: simUrl,
    TESLA_API_URL: simUrl,
    TESLA_CLIENT_ID: account.client_id,
    TOKEN_STORE: `file:${storePath}`,
    TOKEN_ENCRYPTION_KEY: key.toString('base64'),
    WORKER_SHARED_SECRET: SECRET,
    WORKER_SERVICE_URL: '',
    PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
  const children: ChildProcess[] = [];
  try {
    // Two Workers on one store: the first is measured as it starts serving; the second takes one request and
    // then idles, as a Worker does between Scouts, and is measured last.
    const worker = await startWorker(env);
    children.push(worker.proc);
    const idler = await startWorker(env);
    children.push(idler.proc);
    const idlerStarted = Date.now();
    const auth = { authorization: `Bearer ${SECRET}` };
    const sample = await (await fetch(new URL('/get-token', worker.url), { headers: auth })).text();
    await fetch(new URL('/get-token', idler.url), { headers: auth });
    await new Promise((r) => setTimeout(r, 3000));
    const idleRss = rssMb(worker.proc.pid!);

    // Both servers are measured as they start serving: the Worker first (it has idled only the 3 s above),
    // then the baseline, started just before its run.
    const ours = await load(`${worker.url}/get-token`, auth, worker.proc.pid!);
    const bare = await start([BARE, String(Buffer.byteLength(sample))], {}, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    children.push(bare.proc);
    const baseline = await load(`${bare.url}/get-token`, {}, bare.proc.pid!);

    // The idle Worker, its usual state between Scouts: V8's memory reducer shrinks the heap of a process that
    // idles soon after starting, and such a Worker serves bursts more slowly (docs/architecture.md).
    await new Promise((r) => setTimeout(r, Math.max(0, idlerStarted + IDLE_SEC * 1000 - Date.now())));
    const idlerRss = rssMb(idler.proc.pid!);
    const idledSec = (Date.now() - idlerStarted) / 1000;
    const afterIdle = await load(`${idler.url}/get-token`, auth, idler.proc.pid!);

    const scoutTimes: number[] = [];
    for (let i = 0; i < SCOUT_RUNS; i++) {
      const t0 = performance.now();
      const code = await new Promise<number | null>((resolve) => {
        const p = spawn(process.execPath, [CLI, 'scout'], { env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...env, WORKER_SERVICE_URL: worker.url }, stdio: 'ignore' });
        p.once('exit', resolve);
      });
      if (code !== 0) throw new Error(`offpeak scout exited with ${code}`);
      scoutTimes.push(performance.now() - t0);
    }

    const f = (n: number, d = 0) => n.toFixed(d);
    console.log(`bench:tokens — GET /get-token on loopback, ${CONNECTIONS} connections, ${DURATION_SEC} s each (after 2 s warm-up), load from ${LOAD_TOOL}`);
    console.log(`  answer size            ${Buffer.byteLength(sample)} bytes (baseline answers the same size)`);
    console.log(`  bare node:http         ${f(baseline.rps)} req/s   p50 ${f(baseline.p50, 2)} ms   p99 ${f(baseline.p99, 2)} ms`);
    console.log(`  offpeak Worker         ${f(ours.rps)} req/s   p50 ${f(ours.p50, 2)} ms   p99 ${f(ours.p99, 2)} ms`);
    console.log(`  throughput ratio       ${f(ours.rps / baseline.rps, 3)} (goal ≥ 0.8)`);
    console.log(`  CPU per request        Worker ${f(ours.cpuUsPerRequest, 1)} µs, bare ${f(baseline.cpuUsPerRequest, 1)} µs (user + system, from /proc; ratio ${f(baseline.cpuUsPerRequest / ours.cpuUsPerRequest, 3)})`);
    console.log(`  Worker p99             ${f(ours.p99, 2)} ms (goal < 5 ms)`);
    console.log(`  Worker idle since start ${f(afterIdle.rps)} req/s   p50 ${f(afterIdle.p50, 2)} ms   p99 ${f(afterIdle.p99, 2)} ms   ratio ${f(afterIdle.rps / baseline.rps, 3)}   CPU ${f(afterIdle.cpuUsPerRequest, 1)} µs/request (a second Worker, idle ${f(idledSec)} s before its run)`);
    console.log(`  Worker idle RSS        ${f(idleRss, 1)} MB 3 s after start; ${f(idlerRss, 1)} MB after ${IDLE_SEC}+ s idle`);
    console.log(`  offpeak scout process  median ${f(percentile(scoutTimes, 50))} ms, p90 ${f(percentile(scoutTimes, 90))} ms over ${SCOUT_RUNS} runs (goal: median < 400 ms)`);
    const stats = (await (await fetch(new URL('/sim/stats', simUrl))).json()) as { oauth: { refresh_ok: number; login_required: number } };
    console.log(`  Tesla token refreshes  ${stats.oauth.refresh_ok} during the whole bench (login_required: ${stats.oauth.login_required})`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
