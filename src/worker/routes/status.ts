import type { FastifyPluginAsync } from 'fastify';
import type { TokenBroker, TokenStatusReport } from '../../tokens/broker.js';
import { requireCaller, type CallerAuth } from '../auth.js';

export interface StatusRoutesOptions {
  broker: TokenBroker;
  account: string;
  auth: CallerAuth;
  storeKind: string;
  startedAt: number;
  version: string;
}

const healthy = (report: TokenStatusReport) => report.state === 'ok' || report.state === 'expiring' || report.state === 'expired';

/**
 * `/health` is open (load balancers and the check tool read it) and says only whether the Worker can serve
 * tokens; `/worker-status` is the detailed, authenticated view. Neither ever contains a token.
 */
export const statusRoutes: FastifyPluginAsync<StatusRoutesOptions> = async (app, options) => {
  const { broker, account } = options;

  app.get('/health', async (_request, reply) => {
    const report = await broker.status(account);
    // 503 when the Worker cannot hand out tokens without a human (no tokens, or Tesla wants a new login).
    void reply.code(healthy(report) ? 200 : 503);
    return {
      status: healthy(report) ? 'ok' : 'unavailable',
      service: 'offpeak-worker',
      tokens: { state: report.state, expires_at: report.expiresAt, remaining_minutes: report.remainingMinutes },
    };
  });

  app.register(async (authenticated) => {
    authenticated.addHook('preHandler', requireCaller(options.auth));
    authenticated.get('/worker-status', async () => {
      const report = await broker.status(account);
      return {
        service: 'offpeak-worker',
        version: options.version,
        uptime_seconds: Math.round((Date.now() - options.startedAt) / 1000),
        auth_mode: options.auth.mode,
        store: options.storeKind,
        holder: broker.holderId,
        tokens: report,
      };
    });
  });
};
