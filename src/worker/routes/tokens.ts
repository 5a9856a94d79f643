import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../../core/clock.js';
import type { TokenBroker } from '../../tokens/broker.js';
import { requireCaller, type CallerAuth } from '../auth.js';
import { sendError } from '../errors.js';
import { TOKEN_ANSWER_CONTENT_TYPE, tokenAnswer, type ShareLog, type TokenAnswerBytes } from '../token-answer.js';

export interface TokenRoutesOptions {
  broker: TokenBroker;
  account: string;
  auth: CallerAuth;
  clock: Clock;
  /** Shared with the fast path (fast-path.ts), so both send the same bytes and count shares in one log. */
  answers: TokenAnswerBytes;
  shares: ShareLog;
}

const tokenAnswerSchema = {
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
export const tokenRoutes: FastifyPluginAsync<TokenRoutesOptions> = async (app, { broker, account, auth, clock, answers, shares }) => {
  app.addHook('preHandler', requireCaller(auth));
  // Token answers must never be stored by a proxy or client cache.
  app.addHook('onRequest', (_request, reply, done) => {
    void reply.header('cache-control', 'no-store');
    done();
  });

  app.get('/get-token', { schema: { response: { 200: tokenAnswerSchema, '4xx': errorAnswer, '5xx': errorAnswer } } }, async (request, reply) => {
    try {
      const token = await broker.getAccessToken(account);
      const now = clock.now();
      const { bytes, minutes } = answers.for(token, now);
      shares.record(() => request.log, request.caller, minutes, now);
      return reply.type(TOKEN_ANSWER_CONTENT_TYPE).send(bytes);
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
        response: { 200: tokenAnswerSchema, '4xx': errorAnswer, '5xx': errorAnswer },
      },
    },
    async (request, reply) => {
      try {
        const { refreshed, ...token } = await broker.refresh(account, { force: request.body?.force ?? false });
        request.log.info(
          { event: 'refresh_requested', account, caller: request.caller, reason: request.body?.reason ?? null, refreshed },
          refreshed ? 'tokens refreshed on request' : 'refresh requested but the current token is still fresh',
        );
        return tokenAnswer(token, clock.now(), refreshed);
      } catch (error) {
        return sendError(request, reply, error, clock.now());
      }
    },
  );
};
