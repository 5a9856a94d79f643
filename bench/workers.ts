/**
 * bench:workers — several `offpeak worker` processes on ONE PostgreSQL store, Scouts and plain token callers
 * picking Workers at random, and Workers killed with SIGKILL and restarted while the simulator (refresh grace
 * 0, short access tokens) keeps rotating. Prints refreshes, kills survived, failed requests and why, and the
 * latency percentiles of `GET /get-token`. test/e2e/multi-worker-postgres.test.ts runs the same scenario
 * (this module's `runWorkersScenario`) and asserts on its report.
 *
 * What is and is not survivable with refresh grace 0 (Tesla's grace is 24 h; 0 is the strictest case):
 *
 * - A Worker killed while it does not hold the refresh lease: always survivable; nothing of the tokens lives
 *   only in its memory.
 * - The lease holder killed BEFORE Tesla processed its refresh request (the request still on its way):
 *   survivable. The stored refresh token is still Tesla's latest; the lease expires after TOKEN_LEASE_TTL_SEC
 *   and a peer refreshes with it. The simulator's latency fault cannot produce this case (src/sim/app.ts
 *   applies latency in onSend, AFTER the rotation), so this scenario puts a small proxy of its own in front of
 *   the token endpoint that holds a request BEFORE forwarding it and drops it when its client died.
 * - The lease holder killed AFTER Tesla rotated and before its commit: NOT survivable with grace 0. The new
 *   refresh token existed only in the answer the dead process never read; the stored one is retired. That is
 *   Tesla's rule, not a bug any software can fix: with Tesla's real 24 h grace the restarted Worker recovers
 *   (test/e2e/worker-processes.test.ts, and the grace-86400 case of the multi-worker test). So kills "at a
 *   random moment" close that window for the instant of the kill: the proxy's gate holds new token requests,
 *   the killer waits until no request is at Tesla and the store holds Tesla's latest refresh token, kills,
 *   and opens the gate again (typically a few milliseconds).
 * - A bystander (a Worker that waits for the holder's result) killed while Tesla holds an already-rotated
 *   answer (the simulator's latency fault): survivable; the holder commits as usual.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { importRefreshToken } from '../src/cli/tokens.js';
import { sleep, systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/log.js';
import { runScoutTick } from '../src/scout/tick.js';
import { bearerSecret, WorkerClient } from '../src/scout/worker-client.js';
import { buildSimulator, type Simulator } from '../src/sim/index.js';
import { FleetClient } from '../src/tesla/fleet.js';
import { PostgresTokenStore } from '../src/tokens/postgres-store.js';

// Under vitest this file runs from bench/, built it runs from dist/bench/: the CLI is dist/src/cli.js either way.
const DEFAULT_CLI = fileURLToPath(
  new URL(import.meta.url.includes('/dist/bench/') ? '../src/cli.js' : '../dist/src/cli.js', import.meta.url),
);
const ACCOUNT = 'default';
const SECRET = randomBytes(24).toString('base64url');

/**
 * anytime: a random live Worker at a random moment, outside the rotated-but-unsaved window (see above);
 * holder_before_rotation: the lease holder while its refresh request is held before Tesla;
 * bystander_after_rotation: a non-holder while Tesla holds the holder's already-rotated answer;
 * holder_after_rotation: the holder while Tesla holds its rotated answer; survivable ONLY with a grace > 0.
 */
export type KillKind = 'anytime' | 'holder_before_rotation' | 'bystander_after_rotation' | 'holder_after_rotation';

export interface ScenarioOptions {
  postgresUrl: string;
  /** Wall time of the chaos phase (kills and callers). */
  durationMs: number;
  workers?: number;
  accessTtlSec?: number;
  leaseTtlSec?: number;
  refreshGraceSec?: number;
  scoutLoops?: number;
  getterLoops?: number;
  /** Mean pause between kills (uniform 0.5x..1.5x). */
  killEveryMs?: number;
  killKinds?: KillKind[];
  cliPath?: string;
  progress?: (line: string) => void;
}

export interface FailedRequest {
  what: 'get-token' | 'scout-tick';
  reason: string;
}

export interface ScenarioReport {
  schema: string;
  durationMs: number;
  accessTtlSec: number;
  refreshGraceSec: number;
  tokenLifetimes: number;
  refreshes: number;
  oauthRequests: number;
  loginRequired: number;
  kills: Record<KillKind, number>;
  killsSkipped: number;
  restarts: number;
  /** Refresh requests the proxy dropped because their Worker died before Tesla saw them. */
  droppedBeforeTesla: number;
  /** Rotations (refresh_ok) that happened while a pre-rotation kill held a request: must be 0. */
  rotationsDuringPreRotationHolds: number;
  /** Bystander kills where refresh_ok had risen while the holder still held the lease (evidence). */
  bystanderKillsWithRotationHeld: number;
  getToken: { ok: number; toKilledWorker: number; liveFailures: number; latencyMs: Percentiles };
  scoutTicks: { ok: number; bySource: Record<string, number>; toKilledWorker: number; liveFailures: number };
  /** A 200 whose token was expired at receipt or refused by the simulator. Must be empty. */
  wrongAnswers: string[];
  liveFailureReasons: Record<string, number>;
  killedFailureReasons: Record<string, number>;
  finalStoreMatchesTesla: boolean;
  finalStoreStatus: string | null;
  reauthLogLines: number;
  /** How long the gate held token requests for "anytime" kills. */
  gateHoldMs: Percentiles;
}

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
  const round = (n: number) => Math.round(n * 10) / 10;
  return { count: sorted.length, p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(at(1)) };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const rand = (min: number, max: number) => min + Math.random() * (max - min);
const bump = (map: Record<string, number>, key: string) => void (map[key] = (map[key] ?? 0) + 1);

async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs: number, stepMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await sleep(stepMs);
  }
}

/**
 * A pass-through proxy for Tesla's token endpoint that can hold requests BEFORE they reach the simulator:
 * - the gate: while closed, every new request waits (used to make "anytime" kills honest under grace 0);
 * - holdNext: the next request waits until released (used to kill a lease holder before Tesla rotated).
 * A held request whose client died is dropped, never forwarded: Tesla never saw it.
 */
class TokenProxy {
  private server: Server | null = null;
  private gateClosed = false;
  private holdArmed = false;
  private readonly waiting: Array<() => void> = [];
  private heldSignal: (() => void) | null = null;
  private held: (() => void) | null = null;
  private heldClosed: Promise<void> | null = null;
  /** Requests forwarded to the simulator and not yet answered to their client. */
  atTesla = 0;
  dropped = 0;
  url = '';

  constructor(private readonly target: string) {}

  async listen(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  closeGate(): void {
    this.gateClosed = true;
  }

  openGate(): void {
    this.gateClosed = false;
    for (const release of this.waiting.splice(0)) release();
  }

  /** Resolves when the next token request is being held; `release()` lets it continue (or drop if dead). */
  armHold(): Promise<void> {
    this.holdArmed = true;
    return new Promise((resolve) => (this.heldSignal = resolve));
  }

  /**
   * Resolves once the held request's client has gone. A killed Worker's socket is closed by the kernel at
   * once, but this process sees it only on a later turn of its event loop: releasing earlier would forward
   * the dead Worker's request to Tesla.
   */
  heldClientGone(): Promise<void> {
    return this.heldClosed ?? Promise.resolve();
  }

  release(): void {
    this.holdArmed = false;
    this.heldClosed = null;
    this.heldSignal = null;
    const go = this.held;
    this.held = null;
    go?.();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let clientGone = false;
    res.on('close', () => {
      if (!res.writableFinished) clientGone = true;
    });
    if (this.holdArmed && this.held === null) {
      this.heldClosed = new Promise<void>((resolve) => res.once('close', () => resolve()));
      await new Promise<void>((resolve) => {
        this.held = resolve;
        this.heldSignal?.();
      });
    }
    while (this.gateClosed) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (clientGone || res.destroyed) {
      this.dropped++;
      return;
    }
    this.atTesla++;
    const upstream = httpRequest(
      new URL(req.url ?? '/', this.target),
      { method: req.method, headers: { ...req.headers, host: new URL(this.target).host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once('end', done);
        answer.once('error', done);
      },
    );
    let counted = true;
    const done = () => {
      if (counted) this.atTesla--;
      counted = false;
    };
    upstream.on('error', () => {
      done();
      res.destroy();
    });
    upstream.end(Buffer.concat(chunks));
  }

  async close(): Promise<void> {
    this.openGate();
    this.release();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

interface Slot {
  index: number;
  proc: ChildProcess | null;
  url: string | null;
  pid: number | null;
  /** Increases with every start; a request remembers the generation it was sent to. */
  generation: number;
  killedGenerations: Set<number>;
}

function withSearchPath(url: string, schema: string): string {
  const option = `options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return url.includes('?') ? `${url}&${option}` : `${url}?${option}`;
}

export async function runWorkersScenario(options: ScenarioOptions): Promise<ScenarioReport> {
  const workers = options.workers ?? 3;
  const accessTtlSec = options.accessTtlSec ?? 3;
  const leaseTtlSec = options.leaseTtlSec ?? 2;
  const grace = options.refreshGraceSec ?? 0;
  const killKinds = options.killKinds ?? ['anytime', 'anytime', 'holder_before_rotation', 'bystander_after_rotation'];
  const killEveryMs = options.killEveryMs ?? 3_000;
  const cli = options.cliPath ?? DEFAULT_CLI;
  const progress = options.progress ?? (() => undefined);
  const schema = `offpeak_mw_${process.pid}_${randomBytes(4).toString('hex')}`;
  const key = randomBytes(32);

  const sim: Simulator = await buildSimulator({ accessTtlSec, refreshGraceSec: grace });
  const simUrl = await sim.listen(0, '127.0.0.1');
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(new URL(path, simUrl), {
      method,
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`sim ${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const simStats = () => admin<{ oauth: { requests: number; refresh_ok: number; login_required: number } }>('GET', '/sim/stats');
  const account = await admin<{ account_id: string; client_id: string; refresh_token: string }>('POST', '/sim/accounts', { vehicles: 1 });
  const teslaLatest = async () =>
    (await admin<{ refresh: { latest_sha256: string } }>('GET', `/sim/accounts/${account.account_id}`)).refresh.latest_sha256;

  // The test's own handle on the store: creates the schema, imports the first token, reads for the checks.
  const store = new PostgresTokenStore({ connectionString: options.postgresUrl, key, schema });
  const scoutStore = new PostgresTokenStore({ connectionString: options.postgresUrl, key, schema });
  const proxy = new TokenProxy(simUrl);
  const slots: Slot[] = Array.from({ length: workers }, (_, index) => ({
    index,
    proc: null,
    url: null,
    pid: null,
    generation: 0,
    killedGenerations: new Set(),
  }));
  let reauthLogLines = 0;

  const env = (): Record<string, string> => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    LOG_FORMAT: 'json',
    TESLA_AUTH_URL: proxy.url,
    TESLA_API_URL: simUrl,
    TESLA_CLIENT_ID: account.client_id,
    TOKEN_STORE: withSearchPath(options.postgresUrl, schema),
    TOKEN_ENCRYPTION_KEY: key.toString('base64'),
    WORKER_SHARED_SECRET: SECRET,
    TOKEN_LEASE_TTL_SEC: String(leaseTtlSec),
    PORT: '0',
  });

  const start = (slot: Slot): Promise<void> =>
    new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [cli, 'worker'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let head = '';
      let started = false;
      const timer = setTimeout(() => reject(new Error(`worker ${slot.index} did not start within 20 s:\n${head.slice(-2000)}`)), 20_000);
      const onData = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        // The log is drained (a full pipe would block the Worker) and only scanned, not kept.
        if (/REAUTH REQUIRED|"event":"reauth_required"/.test(text)) reauthLogLines++;
        if (started) return;
        head += text;
        const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(head);
        if (match) {
          started = true;
          clearTimeout(timer);
          slot.proc = proc;
          slot.pid = proc.pid ?? null;
          slot.url = match[1]!;
          slot.generation++;
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', () => {
        if (!started) {
          clearTimeout(timer);
          reject(new Error(`worker ${slot.index} exited before listening:\n${head.slice(-2000)}`));
        }
      });
    });

  const kill = async (slot: Slot): Promise<void> => {
    const proc = slot.proc;
    if (!proc) return;
    slot.killedGenerations.add(slot.generation);
    slot.proc = null;
    slot.url = null;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  };

  const liveSlot = (): { slot: Slot; generation: number; url: string } | null => {
    const live = slots.filter((s) => s.url !== null);
    if (live.length === 0) return null;
    const slot = live[Math.floor(Math.random() * live.length)]!;
    return { slot, generation: slot.generation, url: slot.url! };
  };

  const report: ScenarioReport = {
    schema,
    durationMs: options.durationMs,
    accessTtlSec,
    refreshGraceSec: grace,
    tokenLifetimes: 0,
    refreshes: 0,
    oauthRequests: 0,
    loginRequired: 0,
    kills: { anytime: 0, holder_before_rotation: 0, bystander_after_rotation: 0, holder_after_rotation: 0 },
    killsSkipped: 0,
    restarts: 0,
    droppedBeforeTesla: 0,
    rotationsDuringPreRotationHolds: 0,
    bystanderKillsWithRotationHeld: 0,
    getToken: { ok: 0, toKilledWorker: 0, liveFailures: 0, latencyMs: percentiles([]) },
    scoutTicks: { ok: 0, bySource: {}, toKilledWorker: 0, liveFailures: 0 },
    wrongAnswers: [],
    liveFailureReasons: {},
    killedFailureReasons: {},
    finalStoreMatchesTesla: false,
    finalStoreStatus: null,
    reauthLogLines: 0,
    gateHoldMs: percentiles([]),
  };
  const latencies: number[] = [];
  const gateHolds: number[] = [];

  /** Checks a token a live Worker answered 200 with: unexpired at receipt, and accepted by Tesla (free list). */
  const checkToken = async (token: string, receivedAt: number, via: string) => {
    let exp: number;
    try {
      exp = (decodeJwt(token).exp ?? 0) * 1000;
    } catch {
      report.wrongAnswers.push(`${via}: not a JWT`);
      return;
    }
    if (exp <= receivedAt) report.wrongAnswers.push(`${via}: expired ${receivedAt - exp} ms before receipt`);
    const res = await fetch(new URL('/api/1/vehicles', simUrl), { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    if (res.status !== 200) report.wrongAnswers.push(`${via}: Tesla answered ${res.status} to it`);
  };

  const wasKilled = (slot: Slot, generation: number) => slot.killedGenerations.has(generation) || slot.generation !== generation;

  let running = true;
  const getter = async () => {
    while (running) {
      const target = liveSlot();
      if (!target) {
        await sleep(20);
        continue;
      }
      const started = performance.now();
      let status = 0;
      let body: { access_token?: string; error?: string } = {};
      let failure: string | null = null;
      try {
        const res = await fetch(new URL('/get-token', target.url), {
          headers: { authorization: `Bearer ${SECRET}` },
          signal: AbortSignal.timeout(10_000),
        });
        status = res.status;
        body = (await res.json()) as typeof body;
      } catch (error) {
        failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      const receivedAt = Date.now();
      const elapsed = performance.now() - started;
      if (failure === null && status === 200 && body.access_token) {
        report.getToken.ok++;
        latencies.push(elapsed);
        await checkToken(body.access_token, receivedAt, `GET /get-token of worker ${target.slot.index}`);
      } else {
        const reason = failure ?? `${status} ${body.error ?? ''}`.trim();
        if (wasKilled(target.slot, target.generation)) {
          report.getToken.toKilledWorker++;
          bump(report.killedFailureReasons, `get-token: ${reason}`);
        } else {
          report.getToken.liveFailures++;
          bump(report.liveFailureReasons, `get-token: ${reason}`);
        }
      }
      await sleep(rand(20, 100));
    }
  };

  const scout = async () => {
    const fleet = new FleetClient({ apiUrl: simUrl });
    while (running) {
      const target = liveSlot();
      if (!target) {
        await sleep(20);
        continue;
      }
      const checks: Promise<void>[] = [];
      // Every token the Worker hands this Scout is checked like the plain callers' ones.
      const recordingFetch = (async (input: string | URL | Request, init?: RequestInit) => {
        const started = performance.now();
        const res = await fetch(input, init);
        if (res.ok && String(input).includes('token')) {
          const receivedAt = Date.now();
          latencies.push(performance.now() - started);
          const body = (await res.clone().json()) as { access_token: string };
          checks.push(checkToken(body.access_token, receivedAt, `Scout via worker ${target.slot.index}`));
        }
        return res;
      }) as typeof fetch;
      const worker = new WorkerClient({ baseUrl: target.url, auth: bearerSecret(SECRET), fetch: recordingFetch });
      const result = await runScoutTick({ worker, fleet, store: scoutStore, account: ACCOUNT, clock: systemClock, log: silentLogger });
      await Promise.all(checks);
      if (result.ok) {
        report.scoutTicks.ok++;
        bump(report.scoutTicks.bySource, result.tokenSource ?? 'none');
      } else if (wasKilled(target.slot, target.generation)) {
        report.scoutTicks.toKilledWorker++;
        bump(report.killedFailureReasons, `scout: ${result.skipped ?? 'failed'}`);
      } else {
        report.scoutTicks.liveFailures++;
        bump(report.liveFailureReasons, `scout: ${result.skipped ?? 'failed'}`);
      }
      await sleep(rand(50, 200));
    }
  };

  const storeHoldsTeslaLatest = async () => {
    const record = await store.get(ACCOUNT);
    return record !== null && sha256(record.tokens.refreshToken) === (await teslaLatest());
  };
  const holderSlot = async (): Promise<Slot | null> => {
    const lease = await store.getLease(ACCOUNT);
    if (!lease) return null;
    const pid = Number(lease.holder.split('/')[1]);
    return slots.find((s) => s.pid === pid && s.proc !== null) ?? null;
  };

  const restartLater = (slot: Slot) =>
    sleep(rand(200, 1500)).then(async () => {
      await start(slot);
      report.restarts++;
    });

  /** One kill of the given kind; returns the restart promise, or null when the moment did not come. */
  const killOnce = async (kind: KillKind): Promise<{ restart: Promise<void> } | null> => {
    if (kind === 'anytime') {
      const victim = liveSlot();
      if (!victim) return null;
      const closedAt = performance.now();
      proxy.closeGate();
      try {
        const safe = await waitUntil(async () => proxy.atTesla === 0 && (await storeHoldsTeslaLatest()), 5_000);
        if (!safe) return null;
        await kill(victim.slot);
        // Requests the victim queued at the closed gate must be seen as dropped before the gate opens: give
        // the event loop time to read the closed sockets (the kernel closed them when the process died).
        await sleep(200);
      } finally {
        proxy.openGate();
        gateHolds.push(performance.now() - closedAt);
      }
      return { restart: restartLater(victim.slot) };
    }
    if (kind === 'holder_before_rotation') {
      const held = proxy.armHold();
      const came = await Promise.race([held.then(() => true), sleep(accessTtlSec * 2_000).then(() => false)]);
      if (!came) {
        proxy.release();
        return null;
      }
      // Counted from the moment the holder's request is held: while it waits here, the holder keeps renewing
      // its lease, so no other Worker can rotate until it is killed (its lease then lives up to 2 s more).
      const before = (await simStats()).oauth.refresh_ok;
      const holder = await holderSlot();
      if (!holder) {
        proxy.release();
        return null;
      }
      await kill(holder);
      await Promise.race([proxy.heldClientGone(), sleep(3_000)]);
      proxy.release(); // its client is gone: the proxy drops it, Tesla never sees it
      if ((await simStats()).oauth.refresh_ok !== before) report.rotationsDuringPreRotationHolds++;
      return { restart: restartLater(holder) };
    }
    // Tesla rotates and holds its answer (the simulator's latency acts after the rotation); then either a
    // Worker that is not the holder dies (survivable with grace 0), or the holder (only with a grace > 0).
    if (kind === 'holder_after_rotation' && grace === 0) throw new Error('holder_after_rotation kills are not survivable with refresh grace 0');
    const before = (await simStats()).oauth.refresh_ok;
    await admin('POST', '/sim/faults', { target: 'oauth', kind: 'latency', latency_ms: 1_200, count: 1 });
    const rotated = await waitUntil(async () => (await simStats()).oauth.refresh_ok > before, accessTtlSec * 2_000, 20);
    if (!rotated) {
      await admin('DELETE', '/sim/faults');
      return null;
    }
    const holder = await holderSlot();
    if (!holder || (await storeHoldsTeslaLatest())) return null;
    if (kind === 'holder_after_rotation') {
      await kill(holder);
      return { restart: restartLater(holder) };
    }
    const bystanders = slots.filter((s) => s.proc !== null && s !== holder);
    if (bystanders.length === 0) return null;
    const victim = bystanders[Math.floor(Math.random() * bystanders.length)]!;
    await kill(victim);
    report.bystanderKillsWithRotationHeld++;
    return { restart: restartLater(victim) };
  };

  const startedAt = Date.now();
  try {
    await store.ready();
    await importRefreshToken(store, ACCOUNT, account.refresh_token);
    await proxy.listen();
    await Promise.all(slots.map(start));
    progress(`${workers} workers up on schema ${schema}; chaos for ${Math.round(options.durationMs / 1000)} s`);

    const callers = [
      ...Array.from({ length: options.getterLoops ?? 2 }, getter),
      ...Array.from({ length: options.scoutLoops ?? 3 }, scout),
    ];
    const deadline = startedAt + options.durationMs;
    const restarts: Promise<void>[] = [];
    const firstKind = Math.floor(Math.random() * killKinds.length);
    let turn = 0;
    while (Date.now() < deadline - killEveryMs) {
      await sleep(rand(0.5, 1.5) * killEveryMs);
      // Kinds take turns (from a random first one) so every kind happens in a short run; the moments are random.
      const kind = killKinds[(firstKind + turn++) % killKinds.length]!;
      const killed = await killOnce(kind);
      progress(`${Math.round((Date.now() - startedAt) / 1000)} s: ${kind} ${killed === null ? 'skipped' : 'done'}`);
      if (killed === null) {
        report.killsSkipped++;
        continue;
      }
      report.kills[kind]++;
      restarts.push(killed.restart);
      // One Worker down at a time keeps callers busy; the next kill waits for the restart.
      await killed.restart;
    }
    await Promise.all(restarts);
    while (Date.now() < deadline) await sleep(100);
    running = false;
    progress('chaos over; waiting for the callers to finish');
    await Promise.all(callers);
    progress('callers done');

    // The final comparison must not race a rotation in progress: hold new token requests, let one finish.
    proxy.closeGate();
    report.finalStoreMatchesTesla = await waitUntil(async () => proxy.atTesla === 0 && (await storeHoldsTeslaLatest()), 10_000);
    report.finalStoreStatus = (await store.get(ACCOUNT))?.status ?? null;
    proxy.openGate();

    const stats = await simStats();
    report.refreshes = stats.oauth.refresh_ok;
    report.oauthRequests = stats.oauth.requests;
    report.loginRequired = stats.oauth.login_required;
    report.tokenLifetimes = Math.floor((Date.now() - startedAt) / (accessTtlSec * 1000));
    report.droppedBeforeTesla = proxy.dropped;
    report.reauthLogLines = reauthLogLines;
    report.getToken.latencyMs = percentiles(latencies);
    report.gateHoldMs = percentiles(gateHolds);
    return report;
  } finally {
    running = false;
    await Promise.all(slots.map(kill));
    await proxy.close();
    await store.close().catch(() => undefined);
    await scoutStore.close().catch(() => undefined);
    await sim.close();
    const client = new pg.Client({ connectionString: options.postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
  }
}

export function formatReport(r: ScenarioReport): string {
  const kills = Object.values(r.kills).reduce((a, b) => a + b, 0);
  const reasons = (map: Record<string, number>) =>
    Object.entries(map)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, count]) => `    ${count} × ${reason}`)
      .join('\n') || '    none';
  const l = r.getToken.latencyMs;
  return [
    `several Workers on one PostgreSQL store (refresh grace ${r.refreshGraceSec} s, access token ${r.accessTtlSec} s)`,
    `  wall time                  ${Math.round(r.durationMs / 1000)} s, ${r.tokenLifetimes} token lifetimes`,
    `  refreshes (Tesla rotated)  ${r.refreshes} of ${r.oauthRequests} token requests; login_required ${r.loginRequired}`,
    `  kills survived             ${kills} (anytime ${r.kills.anytime}, lease holder before rotation ${r.kills.holder_before_rotation}, bystander while a rotated answer was held ${r.kills.bystander_after_rotation}, holder after rotation ${r.kills.holder_after_rotation}); ${r.killsSkipped} skipped; ${r.restarts} restarts`,
    `  refresh requests dropped before Tesla saw them (holder killed): ${r.droppedBeforeTesla}; rotations during those holds: ${r.rotationsDuringPreRotationHolds}`,
    `  GET /get-token             ${r.getToken.ok} × 200 from live Workers; ${r.getToken.toKilledWorker} to a killed Worker; ${r.getToken.liveFailures} failed at a live Worker`,
    `  Scout ticks                ${r.scoutTicks.ok} ok ${JSON.stringify(r.scoutTicks.bySource)}; ${r.scoutTicks.toKilledWorker} with a killed Worker; ${r.scoutTicks.liveFailures} failed with a live Worker`,
    `  wrong answers (200 with a bad token): ${r.wrongAnswers.length}`,
    `  failed requests at killed Workers, why:\n${reasons(r.killedFailureReasons)}`,
    `  failed requests at live Workers, why:\n${reasons(r.liveFailureReasons)}`,
    `  /get-token latency ms      p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  max ${l.max}  (n=${l.count})`,
    `  gate held for anytime kills ms: p50 ${r.gateHoldMs.p50}  max ${r.gateHoldMs.max}`,
    `  end: store holds Tesla's current refresh token: ${r.finalStoreMatchesTesla}; status ${r.finalStoreStatus}; REAUTH log lines ${r.reauthLogLines}`,
  ].join('\n');
}

const isMain = process.argv[1] !== undefined && resolvePath(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const report = await runWorkersScenario({
    postgresUrl: process.env.OFFPEAK_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    durationMs: Number(process.env.BENCH_DURATION_SEC ?? 120) * 1000,
    progress: (line) => console.error(line),
  });
  console.log(formatReport(report));
  if (report.loginRequired > 0 || report.wrongAnswers.length > 0 || !report.finalStoreMatchesTesla) process.exitCode = 1;
}
