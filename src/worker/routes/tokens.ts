import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../../core/clock.js';
import type { AccessToken, TokenBroker } from '../../tokens/broker.js';
import { requireCaller, type CallerAuth } from '../auth.js';
import { sendError } from '../errors.js';

export interface TokenRoutesOptions {
  broker: TokenBroker;
  account: string;
  auth: CallerAuth;
  clock: Clock;
}

const tokenAnswer = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_at', 'remaining_minutes'],
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string' },
    expires_at: { type: 'string' },
    remaining_minutes: { type: 'integer' },
    refreshed: { type: 'boolean' },
  },
} as const;

const errorAnswer = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

/**
 * The token endpoints of SYSTEM.md: the Scout's only way to a Tesla access token. The Worker is the sole
 * owner of the tokens; these routes hand out access tokens and never a refresh token.
 */
export const tokenRoutes: FastifyPluginAsync<TokenRoutesOptions> = async (app, { broker, account, auth, clock }) => {
  app.addHook('preHandler', requireCaller(auth));
  // Token answers must never be stored by a proxy or client cache.
  app.addHook('onRequest', (_request, reply, done) => {
    void reply.header('cache-control', 'no-store');
    done();
  });

  const shareLog = new LineBudget(1000);
  const answer = (token: AccessToken, refreshed?: boolean) => ({
    access_token: token.accessToken,
    token_type: 'Bearer',
    expires_at: new Date(token.expiresAt).toISOString(),
    remaining_minutes: Math.floor((token.expiresAt - clock.now()) / 60_000),
    ...(refreshed === undefined ? {} : { refreshed }),
  });

  app.get('/get-token', { schema: { response: { 200: tokenAnswer, '4xx': errorAnswer, '5xx': errorAnswer } } }, async (request, reply) => {
    try {
      const token = await broker.getAccessToken(account);
      const body = answer(token);
      const shares = shareLog.count(clock.now());
      if (shares > 0) {
        request.log.info(
          { event: 'token_shared', account, caller: request.caller, remainingMinutes: body.remaining_minutes, shares },
          `Tesla token shared with Scout (${body.remaining_minutes} min left)${shares > 1 ? ` ×${shares} since the last line` : ''}`,
        );
      }
      return body;
    } catch (error) {
      return sendError(request, reply, error, clock.now());
    }
  });

  app.post<{ Body: { force?: boolean; reason?: string } | undefined }>(
    '/refresh-tokens',
    {
      schema: {
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { force: { type: 'boolean' }, reason: { type: 'string', maxLength: 200 } },
        },
        response: { 200: tokenAnswer, '4xx': errorAnswer, '5xx': errorAnswer },
      },
    },
    async (request, reply) => {
      try {
        const { refreshed, ...token } = await broker.refresh(account, { force: request.body?.force ?? false });
        request.log.info(
          { event: 'refresh_requested', account, caller: request.caller, reason: request.body?.reason ?? null, refreshed },
          refreshed ? 'tokens refreshed on request' : 'refresh requested but the current token is still fresh',
        );
        return answer(token, refreshed);
      } catch (error) {
        return sendError(request, reply, error, clock.now());
      }
    },
  );
};

/**
 * At most one log line per interval: a Scout every 15 minutes gets a line per token it takes, while a burst
 * of requests (many Scouts, a load test) is summarised instead of flooding the log.
 */
class LineBudget {
  private lastAt = -Infinity;
  private pending = 0;
  constructor(private readonly intervalMs: number) {}
  /** How many events the line written now stands for, or 0 when no line is due yet. */
  count(now: number): number {
    this.pending++;
    if (now - this.lastAt < this.intervalMs) return 0;
    this.lastAt = now;
    const events = this.pending;
    this.pending = 0;
    return events;
  }
}
