import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { sleep } from '../core/clock.js';
import { adminRoutes } from './admin.js';
import { contextOf, pathOf, routeMeter } from './context.js';
import { SimInputError } from './errors.js';
import { fleetRoutes, PROXY_PREFIX } from './fleet.js';
import { oauthRoutes } from './oauth.js';
import { resolveOptions, type SimOptions } from './options.js';
import { SimState } from './state.js';

/**
 * Assembles the simulator: one fastify app serving Tesla's token endpoint, the Fleet API (with a stand-in for the
 * signing proxy under /proxy) and the admin API.
 * Cross-cutting work lives in hooks, in this order per request:
 *   onRequest  – authenticate Fleet API calls (so faults and the meter know the account), then apply faults;
 *   handler    – the route does its work and commits it;
 *   onSend     – meter the answer, then hold it for any injected latency (after the commit, on purpose).
 * fastify's own logger stays off: it would log request details we do not control. We log one line per
 * request ourselves (method, path, status, duration) and never headers or bodies, so no token can leak.
 */

export interface Simulator {
  app: FastifyInstance;
  state: SimState;
  /** Starts listening (default: a random port on 127.0.0.1) and returns the base URL, e.g. http://127.0.0.1:4455. */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

function targetOf(path: string): 'oauth' | 'fleet' | null {
  if (path.startsWith('/oauth2/')) return 'oauth';
  // The signing-proxy stand-in (/proxy/api/…) is the Fleet API as far as tokens, faults and billing go.
  if (path.startsWith('/api/') || path.startsWith(`${PROXY_PREFIX}/api/`)) return 'fleet';
  return null;
}

/** Error bodies in the dialect of the part of the API that was called. */
function errorBody(path: string, status: number, code: string, message: string): Record<string, unknown> {
  const target = targetOf(path);
  if (target === 'oauth') return { error: code, error_description: message };
  if (target === 'fleet') return { response: null, error: code, error_description: message };
  return { error: code, message, status };
}

export async function buildSimulator(options: SimOptions = {}): Promise<Simulator> {
  const resolved = resolveOptions(options);
  const state = new SimState(resolved);
  const log = resolved.logger;
  const app = Fastify({
    logger: false,
    bodyLimit: 256 * 1024,
    // Strict bodies: unknown fields and wrong types are errors, not silently dropped or coerced.
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false, allowUnionTypes: true },
    },
    schemaErrorFormatter: (errors, dataVar) => {
      const first = errors[0];
      if (!first) return new Error(`${dataVar} is invalid`);
      const where = `${dataVar}${first.instancePath}`;
      if (first.keyword === 'additionalProperties') {
        return new Error(`${where} has an unknown field "${String(first.params.additionalProperty)}"`);
      }
      if (first.keyword === 'enum') {
        return new Error(`${where} must be one of ${(first.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
      }
      if (first.keyword === 'type') {
        const types = ([] as unknown[]).concat(first.params.type).map(String);
        return new Error(`${where} must be ${types.join(' or ')}`);
      }
      return new Error(`${where} ${first.message ?? 'is invalid'}`);
    },
  });

  // Tesla's token endpoint takes form bodies; no extra plugin needed for that.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const ctx = contextOf(req);
    const path = pathOf(req);
    ctx.target = targetOf(path);
    if (ctx.target === null) return;
    if (ctx.target === 'fleet') {
      ctx.access = await state.auth.checkAccess(req.headers.authorization);
      if (ctx.access.ok) ctx.accountId = ctx.access.account.id;
    }
    const decision = state.faults.take(ctx.target, path);
    for (let i = 0; i < decision.applied; i++) state.meter.fault(ctx.accountId);
    ctx.latencyMs = decision.latencyMs;
    if (decision.reply) {
      await reply.code(decision.reply.status).headers(decision.reply.headers).send(decision.reply.body);
      return reply;
    }
    return undefined;
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const ctx = contextOf(req);
    if (ctx.target === 'fleet') {
      const route = routeMeter(req);
      const name = (req.params as { name?: unknown } | undefined)?.name;
      const endpoint = route ? (route.endpoint === 'command' && typeof name === 'string' ? `command/${name}` : route.endpoint) : null;
      const category = route ? (route.category === 'list' ? resolved.listCategory : route.category) : null;
      state.meter.fleet({ status: reply.statusCode, endpoint, category, accountId: ctx.accountId });
    } else if (ctx.target === 'oauth') {
      state.meter.oauthRequest(ctx.accountId);
    }
    if (ctx.latencyMs > 0) await sleep(ctx.latencyMs);
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    const ctx = contextOf(req);
    log.debug(
      { method: req.method, path: pathOf(req), status: reply.statusCode, ms: Math.round(performance.now() - ctx.startedAt) },
      'sim request',
    );
  });

  app.setErrorHandler((err: FastifyError | SimInputError | Error, req, reply) => {
    const path = pathOf(req);
    if (err instanceof SimInputError) return reply.code(err.status).send(errorBody(path, err.status, err.code, err.message));
    const fe = err as FastifyError;
    const status = typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 600 ? fe.statusCode : 500;
    if (status >= 500) {
      // The message and stack are ours or fastify's; they never contain request headers or bodies.
      log.error({ err: { message: err.message, stack: err.stack }, path }, 'simulator error');
      return reply.code(status).send(errorBody(path, status, 'internal_error', 'internal simulator error'));
    }
    const code = targetOf(path) === 'oauth' || fe.validation ? 'invalid_request' : (fe.code ?? 'bad_request');
    // A token request the handler never saw (unparseable body) is still an invalid_request in the counters.
    if (targetOf(path) === 'oauth') state.meter.oauthOutcome('invalid_request', null);
    return reply.code(status).send(errorBody(path, status, code, err.message));
  });

  app.setNotFoundHandler((req, reply) => {
    const path = pathOf(req);
    return reply.code(404).send(errorBody(path, 404, 'not_found', `no route ${req.method} ${path}`));
  });

  await app.register(oauthRoutes, { state });
  await app.register(fleetRoutes, { state });
  await app.register(adminRoutes, { state });

  return {
    app,
    state,
    async listen(port = 0, host = '127.0.0.1') {
      await app.listen({ port, host });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('simulator is not listening on a TCP port');
      // A wildcard bind is still reached through loopback from this machine.
      const wildcard = address.address === '0.0.0.0' || address.address === '::';
      const hostPart = wildcard ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
      state.baseUrl = `http://${hostPart}:${address.port}`;
      return state.baseUrl;
    },
    close: () => app.close(),
  };
}
