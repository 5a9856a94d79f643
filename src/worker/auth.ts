import type { FastifyReply, FastifyRequest } from 'fastify';
import { secretMatcher } from '../core/secrets.js';

/**
 * Who may call the Worker's authenticated routes. "shared-secret" is for self-hosting; Google Cloud's ID-token
 * mode is a second implementation of the same interface. There is no "none": a Worker without a configured
 * caller check refuses to start.
 */
export interface CallerAuth {
  readonly mode: string;
  /** Resolves with a caller name for logs, or null when the request must be refused. Never throws. */
  authenticate(authorization: string | undefined): Promise<string | null>;
  /**
   * The same decision made synchronously, for modes that need no I/O to decide (a shared secret, not a
   * signature checked against fetched keys). It lets `GET /get-token` be answered on the fast path.
   */
  authenticateNow?(authorization: string | undefined): string | null;
}

/** Longest Authorization header considered at all; anything longer is refused without comparing. */
export const MAX_CREDENTIAL_LENGTH = 4096;

export function sharedSecretAuth(secret: string): CallerAuth {
  if (secret.length < 16) {
    throw new Error('WORKER_SHARED_SECRET must be at least 16 characters (e.g. `openssl rand -base64 32`)');
  }
  const matches = secretMatcher(secret);
  const authenticateNow = (authorization: string | undefined): string | null => {
    if (!authorization || authorization.length > MAX_CREDENTIAL_LENGTH) return null;
    const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
    if (!match) return null;
    return matches(match[1]!) ? 'shared-secret' : null;
  };
  return {
    mode: 'shared-secret',
    authenticateNow,
    authenticate: async (authorization) => authenticateNow(authorization),
  };
}

/** A Fastify preHandler that answers 401 JSON unless the caller is authenticated. */
export function requireCaller(auth: CallerAuth) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const caller = await auth.authenticate(request.headers.authorization);
    if (caller) {
      request.caller = caller;
      return;
    }
    request.log.warn({ event: 'auth_refused', route: request.routeOptions.url, mode: auth.mode }, 'request without valid credentials refused');
    await reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .send({ error: 'unauthorized', message: `this endpoint needs credentials (${auth.mode}): send "Authorization: Bearer <secret>"` });
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: string;
  }
}
