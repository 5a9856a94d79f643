import { newFaultId } from './ids.js';

/**
 * Injected failures, so clients can be tested against a Tesla that is slow, down or rate limiting.
 * Latency is real time (setTimeout), not simulator time: it exists to make real clients wait, time out or be
 * killed mid-request. It is applied AFTER the request was processed and committed, just before the answer
 * is sent: a client that gives up while waiting has lost an answer that Tesla already acted on (the
 * refresh-token rotation crash case).
 */

export type FaultTarget = 'oauth' | 'fleet';
export type FaultKind = 'latency' | 'error' | 'rate_limit';

export interface FaultSpec {
  target: FaultTarget;
  kind: FaultKind;
  latency_ms?: number;
  status?: number;
  retry_after_s?: number;
  count?: number;
  path_prefix?: string;
}

export interface Fault {
  id: string;
  target: FaultTarget;
  kind: FaultKind;
  latency_ms: number;
  status: number;
  retry_after_s: number;
  path_prefix: string | null;
  /** Requests it still applies to; null = unlimited. */
  remaining: number | null;
  applied: number;
}

export interface FaultReply {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface FaultDecision {
  latencyMs: number;
  /** Set when the request must be answered by the fault instead of the simulator. */
  reply: FaultReply | null;
  /** How many faults took effect on this request. */
  applied: number;
}

function replyFor(fault: Fault): FaultReply {
  if (fault.kind === 'rate_limit') {
    return {
      status: 429,
      headers: { 'retry-after': String(fault.retry_after_s) },
      body: { error: 'Too Many Requests', error_description: `Retry in ${fault.retry_after_s} seconds` },
    };
  }
  const description = `simulated fault (${fault.status})`;
  return {
    status: fault.status,
    headers: {},
    body:
      fault.target === 'oauth'
        ? { error: 'server_error', error_description: description }
        : { response: null, error: 'upstream internal error', error_description: description },
  };
}

export class FaultRegistry {
  private faults: Fault[] = [];

  add(spec: FaultSpec): Fault {
    const fault: Fault = {
      id: newFaultId(),
      target: spec.target,
      kind: spec.kind,
      latency_ms: spec.latency_ms ?? 0,
      status: spec.status ?? 503,
      retry_after_s: spec.retry_after_s ?? 30,
      path_prefix: spec.path_prefix ?? null,
      remaining: spec.count ?? null,
      applied: 0,
    };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length !== before;
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * Decides what happens to one request, consuming the faults that apply: every matching latency fault adds
   * its delay; the first matching error or rate limit answers the request (later ones are left for later).
   */
  take(target: FaultTarget, path: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, reply: null, applied: 0 };
    if (this.faults.length === 0) return decision;
    for (const f of this.faults) {
      if (f.target !== target || f.remaining === 0) continue;
      if (f.path_prefix !== null && !path.startsWith(f.path_prefix)) continue;
      if (f.kind === 'latency') decision.latencyMs += f.latency_ms;
      else if (decision.reply === null) decision.reply = replyFor(f);
      else continue;
      f.applied++;
      decision.applied++;
      if (f.remaining !== null) f.remaining--;
    }
    this.faults = this.faults.filter((f) => f.remaining !== 0);
    return decision;
  }
}
