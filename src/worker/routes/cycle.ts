import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Clock } from '../../core/clock.js';
import type { CycleResult } from '../../charging/cycle.js';
import { TargetInputError, type ChargingService } from '../../charging/service.js';
import { requireCaller, type CallerAuth } from '../auth.js';
import { sendError } from '../errors.js';

export interface CycleRoutesOptions {
  auth: CallerAuth;
  /** null: no home location configured, so the Worker cannot tell "at home" and does not plan. */
  charging: ChargingService | null;
  clock: Clock;
}

const VIN = { type: 'string', pattern: '^[A-Z0-9]{17}$' } as const;

/** Failed cars → 502, a car locked by another Worker → 409, otherwise 200: the status tells the truth. */
function statusOf(results: CycleResult[]): { status: number; error?: string } {
  if (results.some((r) => r.outcome === 'failed')) return { status: 502, error: 'cycle_failed' };
  if (results.some((r) => r.outcome === 'busy')) return { status: 409, error: 'cycle_busy' };
  return { status: 200 };
}

const view = (r: CycleResult) => ({
  ...r,
  ...(r.plan && {
    plan: {
      ...r.plan,
      ready_by: new Date(r.plan.readyBy).toISOString(),
      windows: r.plan.windows.map((w) => ({ start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString(), kwh: w.kwh })),
    },
  }),
});

/** POST /run-cycle and the one-off charge targets (SYSTEM.md "Worker behaviour"). */
export const cycleRoutes: FastifyPluginAsync<CycleRoutesOptions> = async (app, { auth, charging, clock }) => {
  app.addHook('preHandler', requireCaller(auth));

  const unavailable = (reply: FastifyReply) =>
    reply.code(503).send({ error: 'charging_not_configured', message: 'charging is not configured: set HOME_LATITUDE and HOME_LONGITUDE' });

  app.post<{ Body: { vin?: string; reason?: string } | null }>(
    '/run-cycle',
    { schema: { body: { type: ['object', 'null'], additionalProperties: false, properties: { vin: VIN, reason: { type: 'string', pattern: '^[a-z_-]{1,40}$' } } } } },
    async (request, reply) => {
      if (!charging) return unavailable(reply);
      try {
        // deploy.sh's Scheduler job sends "daily-replan": both spellings mean the daily replan.
        const reason = (request.body?.reason ?? 'manual').replaceAll('-', '_');
        const vin = request.body?.vin;
        const results = reason === 'daily_replan' && !vin ? await charging.dailyReplan() : await charging.runCycle(vin, reason);
        const { status, error } = statusOf(results);
        const failed = results.filter((r) => r.outcome === 'failed' || r.outcome === 'busy');
        if (status !== 200 && failed.some((r) => r.transient)) void reply.header('retry-after', '60');
        return reply.code(status).send({
          ...(error && { error, message: failed.map((r) => `${r.vin}: ${r.message}`).join('; ') }),
          results: results.map(view),
        });
      } catch (err) {
        return sendError(request, reply, err, clock.now());
      }
    },
  );

  app.post<{ Body: { vin?: string; percent: number; ready_by: string } }>(
    '/charge-targets',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['percent', 'ready_by'],
          properties: { vin: VIN, percent: { type: 'integer', minimum: 50, maximum: 100 }, ready_by: { type: 'string', format: 'date-time' } },
        },
      },
    },
    async (request, reply) => {
      if (!charging) return unavailable(reply);
      try {
        const { vin, target } = await charging.addTarget({ vin: request.body.vin, percent: request.body.percent, readyBy: Date.parse(request.body.ready_by) });
        return reply.code(201).send({ vin, target: { ...target, ready_by: new Date(target.readyBy).toISOString() } });
      } catch (err) {
        if (err instanceof TargetInputError) return reply.code(400).send({ error: 'invalid_request', message: err.message });
        return sendError(request, reply, err, clock.now());
      }
    },
  );

  app.get<{ Querystring: { vin: string } }>(
    '/charge-targets',
    { schema: { querystring: { type: 'object', required: ['vin'], properties: { vin: VIN } } } },
    async (request, reply) => {
      if (!charging) return unavailable(reply);
      const targets = await charging.targets(request.query.vin);
      return { vin: request.query.vin, targets: targets.map((t) => ({ ...t, ready_by: new Date(t.readyBy).toISOString() })) };
    },
  );
};
