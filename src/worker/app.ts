import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import { traceBindings } from '../gcp/trace.js';
import type { TokenBroker } from '../tokens/broker.js';
import type { ChargingService } from '../charging/service.js';
import type { CallerAuth } from './auth.js';
import { sendError } from './errors.js';
import { serverWithFastPath, tokenFastPath } from './fast-path.js';
import { cycleRoutes } from './routes/cycle.js';
import { statusRoutes } from './routes/status.js';
import { tokenRoutes } from './routes/tokens.js';
import { ShareLog, TokenAnswerBytes } from './token-answer.js';

export interface WorkerAppOptions {
  broker: TokenBroker;
  account: string;
  auth: CallerAuth;
  storeKind: string;
  clock?: Clock;
  logger?: Logger;
  version?: string;
  /** Google Cloud project for trace correlation in the logs; default GOOGLE_CLOUD_PROJECT. */
  traceProject?: string;
  /** The charging cycle; absent when no home location is configured (then /run-cycle answers 503). */
  charging?: ChargingService | null;
}

/** Largest request body accepted; the Worker's inputs are a few small JSON fields. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * The Worker's HTTP surface, built without listening so tests use `inject()`. Each concern is an
 * encapsulated plugin; every route has a schema; every error is JSON with a status code that tells the truth.
 */
export async function buildWorkerApp(options: WorkerAppOptions): Promise<FastifyInstance> {
  const clock = options.clock ?? systemClock;
  const traceProject = options.traceProject ?? process.env.GOOGLE_CLOUD_PROJECT;
  const logger = (options.logger ?? silentLogger) as FastifyBaseLogger;
  const answers = new TokenAnswerBytes();
  const shares = new ShareLog(options.account);
  let closing = false;
  const fastPath = tokenFastPath({
    auth: options.auth,
    broker: options.broker,
    account: options.account,
    answers,
    shares,
    log: logger,
    clock,
    traceProject,
    isClosing: () => closing,
  });
  const app = Fastify({
    loggerInstance: logger,
    // GET /get-token's common case is answered in front of Fastify (see fast-path.ts); inject() bypasses it.
    ...(fastPath && { serverFactory: serverWithFastPath(fastPath) }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Request logs carry method and path only: never headers (Authorization) or bodies.
    logController: new LogController({ disableRequestLogging: true }),
    // Cloud Logging groups a request's lines by trace: every request.log line carries the caller's trace id.
    childLoggerFactory: (logger, bindings, childOptions, rawRequest) =>
      logger.child({ ...bindings, ...traceBindings(rawRequest.headers, traceProject) }, childOptions),
    return503OnClosing: true,
    // Unknown fields are an error, not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  });
  // Only JSON bodies: anything else is 415, not parsed as text.
  app.removeContentTypeParser('text/plain');
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  app.setErrorHandler((error, request, reply) => sendError(request, reply, error, clock.now()));
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  await app.register(statusRoutes, {
    broker: options.broker,
    account: options.account,
    auth: options.auth,
    storeKind: options.storeKind,
    startedAt: Date.now(),
    version: options.version ?? '0.1.0',
  });
  await app.register(tokenRoutes, { broker: options.broker, account: options.account, auth: options.auth, clock, answers, shares });
  await app.register(cycleRoutes, { auth: options.auth, charging: options.charging ?? null, clock });
  return app;
}
