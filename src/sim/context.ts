import type { FastifyRequest } from 'fastify';
import type { AccessCheck } from './auth.js';

/**
 * What the simulator's hooks learn about one request (its account, its token verdict, an injected delay).
 * Kept in a WeakMap rather than by augmenting FastifyRequest, so the simulator's types do not leak into
 * the rest of the project's fastify apps.
 */
export interface RequestContext {
  target: 'oauth' | 'fleet' | null;
  access: AccessCheck | null;
  accountId: string | null;
  latencyMs: number;
  startedAt: number;
}

const contexts = new WeakMap<FastifyRequest, RequestContext>();

export function contextOf(req: FastifyRequest): RequestContext {
  let c = contexts.get(req);
  if (!c) {
    c = { target: null, access: null, accountId: null, latencyMs: 0, startedAt: performance.now() };
    contexts.set(req, c);
  }
  return c;
}

/** Per-route metering: which counter a Fleet API route feeds and how it is billed. */
export interface RouteMeter {
  endpoint: string;
  /** 'list' is resolved to the simulator's listCategory option. */
  category: 'data' | 'command' | 'wake' | 'free' | 'list';
}

export function routeMeter(req: FastifyRequest): RouteMeter | undefined {
  return (req.routeOptions.config as { sim?: RouteMeter } | undefined)?.sim;
}

/** The path without its query string (never contains tokens; tokens never travel in URLs). */
export const pathOf = (req: FastifyRequest): string => req.url.split('?', 1)[0] ?? req.url;
