import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyServerFactory } from 'fastify';
import type { Clock } from '../core/clock.js';
import type { TokenBroker } from '../tokens/broker.js';
import { traceBindings } from '../gcp/trace.js';
import type { CallerAuth } from './auth.js';
import { TOKEN_ANSWER_CONTENT_TYPE, type ShareLog, type TokenAnswerBytes } from './token-answer.js';

/** Answers a request and returns true, or returns false to hand it to Fastify untouched. */
export type FastPath = (request: IncomingMessage, response: ServerResponse) => boolean;

export interface TokenFastPathOptions {
  auth: CallerAuth;
  broker: TokenBroker;
  account: string;
  answers: TokenAnswerBytes;
  shares: ShareLog;
  log: FastifyBaseLogger;
  clock: Clock;
  /** Google Cloud project, to put the "token shared" line under the caller's trace as the route does. */
  traceProject: string | undefined;
  /** True once the Worker is shutting down: Fastify then answers 503 and closes connections. */
  isClosing: () => boolean;
}

/**
 * `GET /get-token` for the common case, answered before Fastify sees the request: an authenticated caller,
 * and a token the broker already holds that is valid and not due. That is what Scouts ask for, and Fastify's
 * per-request work (request and reply objects, a child logger, the hook chain) cost about a third of the
 * Worker's throughput on it (bench:tokens; docs/architecture.md).
 *
 * Every other case goes to the Fastify route, which decides it in full: refusals (with their log line and
 * 401), a token to read from the store or refresh, errors, HEAD, query strings, shutdown. So this path only
 * repeats what the route would answer, byte for byte, and never decides anything the route would not.
 * Null for auth modes that cannot decide without I/O (Google ID tokens): then Fastify answers everything.
 */
export function tokenFastPath(options: TokenFastPathOptions): FastPath | null {
  const { auth, broker, account, answers, shares, log, clock, traceProject, isClosing } = options;
  const authenticateNow = auth.authenticateNow;
  if (!authenticateNow) return null;
  return (request, response) => {
    if (request.method !== 'GET' || request.url !== '/get-token' || isClosing()) return false;
    const caller = authenticateNow(request.headers.authorization);
    if (!caller) return false;
    const token = broker.peekAccessToken(account);
    if (!token) return false;
    const now = clock.now();
    const { bytes, minutes } = answers.for(token, now);
    shares.record(() => log.child(traceBindings(request.headers, traceProject)), caller, minutes, now);
    response.writeHead(200, { 'content-type': TOKEN_ANSWER_CONTENT_TYPE, 'cache-control': 'no-store', 'content-length': bytes.length });
    response.end(bytes);
    return true;
  };
}

/**
 * A Fastify `serverFactory`: node:http with the fast path in front of Fastify's handler, and the timeouts
 * Fastify sets on a server of its own (it fills in their defaults before calling the factory).
 */
export function serverWithFastPath(fastPath: FastPath): FastifyServerFactory<Server> {
  return (handler, options) => {
    const server = createServer((request, response) => {
      if (!fastPath(request, response)) handler(request, response);
    });
    if (typeof options.keepAliveTimeout === 'number') server.keepAliveTimeout = options.keepAliveTimeout;
    if (typeof options.requestTimeout === 'number') server.requestTimeout = options.requestTimeout;
    if (typeof options.connectionTimeout === 'number') server.setTimeout(options.connectionTimeout);
    return server;
  };
}
