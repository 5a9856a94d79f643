import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { runCommand } from './commands.js';
import { contextOf, type RouteMeter } from './context.js';
import type { Account } from './auth.js';
import type { SimState } from './state.js';
import { isOnline, requestWake, touch, type Vehicle } from './vehicles.js';
import { listItem, parseEndpoints, vehicleData } from './views.js';

/**
 * The Fleet API routes (TESLA.md "Fleet API"). Authentication already ran in the app's onRequest hook (so
 * that faults and the meter know the account); here each route answers 401/421 when it failed.
 * List and vehicle reads never wake a car nor keep it awake; vehicle_data, commands and wake_up do.
 */

const NOT_FOUND = { response: null, error: 'not_found', error_description: 'vehicle not found' };
const UNAVAILABLE = { response: null, error: 'vehicle unavailable: vehicle is offline or asleep', error_description: '' };

/** Tesla's answer to an unsigned command for a car that requires the Vehicle Command Protocol (TESLA.md). */
const UNSIGNED = {
  response: null,
  error: 'Tesla Vehicle Command Protocol required',
  error_description: 'this vehicle accepts only signed commands; send them through tesla-http-proxy',
};

/** Path prefix of the simulator's stand-in for Tesla's signing proxy (tesla-http-proxy). */
export const PROXY_PREFIX = '/proxy';

const meter = (endpoint: string, category: RouteMeter['category']) => ({ config: { sim: { endpoint, category } } });

interface VinParams {
  vin: string;
}

export async function fleetRoutes(app: FastifyInstance, opts: { state: SimState }): Promise<void> {
  const { state } = opts;
  const env = state.env;
  const region = state.options.region;

  /** The caller's account, or undefined after answering the 401/421. */
  function account(req: FastifyRequest, reply: FastifyReply): Account | undefined {
    const access = contextOf(req).access;
    if (access?.ok) return access.account;
    const failure = access ?? { status: 401 as const, body: { error: 'invalid bearer token' } };
    void reply.code(failure.status).send(failure.body);
    return undefined;
  }

  /** The caller's car (by VIN or numeric id), or undefined after answering 404. Another account's car is 404 too. */
  function vehicle(acct: Account, idOrVin: string, reply: FastifyReply): Vehicle | undefined {
    const v = state.findVehicle(idOrVin);
    if (v && v.accountId === acct.id) return v;
    void reply.code(404).send(NOT_FOUND);
    return undefined;
  }

  function missingScope(acct: Account, scopes: readonly string[], reply: FastifyReply): boolean {
    const missing = scopes.find((s) => !acct.scopes.includes(s));
    if (missing === undefined) return false;
    void reply.code(403).send({ response: null, error: 'Unauthorized missing scopes', error_description: `missing scope: ${missing}` });
    return true;
  }

  app.get<{ Querystring: { page?: string; per_page?: string } }>('/api/1/vehicles', meter('list', 'list'), async (req, reply) => {
    const acct = account(req, reply);
    if (!acct) return reply;
    const perPage = clampInt(req.query.per_page, 100, 1, 100);
    const all = state.accountVehicles(acct);
    const pages = Math.max(1, Math.ceil(all.length / perPage));
    const page = clampInt(req.query.page, 1, 1, Number.MAX_SAFE_INTEGER);
    const now = state.now();
    const items = all.slice((page - 1) * perPage, page * perPage).map((v) => listItem(v, now, env));
    return {
      response: items,
      count: all.length,
      pagination: {
        previous: page > 1 ? page - 1 : null,
        next: page < pages ? page + 1 : null,
        current: page,
        per_page: perPage,
        count: items.length,
        pages,
      },
    };
  });

  app.get<{ Params: VinParams }>('/api/1/vehicles/:vin', meter('vehicle', 'list'), async (req, reply) => {
    const acct = account(req, reply);
    const v = acct && vehicle(acct, req.params.vin, reply);
    if (!v) return reply;
    return { response: listItem(v, state.now(), env) };
  });

  app.get<{ Params: VinParams; Querystring: { endpoints?: string } }>(
    '/api/1/vehicles/:vin/vehicle_data',
    meter('vehicle_data', 'data'),
    async (req, reply) => {
      const acct = account(req, reply);
      const v = acct && vehicle(acct, req.params.vin, reply);
      if (!acct || !v) return reply;
      const endpoints = parseEndpoints(req.query.endpoints);
      const needed = ['vehicle_device_data', ...(endpoints.includes('location_data') ? ['vehicle_location'] : [])];
      if (missingScope(acct, needed, reply)) return reply;
      const now = state.now();
      // An asleep car answers 408, billed all the same (the meter sees a status below 500).
      if (!isOnline(v, now, env)) return reply.code(408).send(UNAVAILABLE);
      touch(v, now);
      return { response: vehicleData(v, endpoints, now, env, region) };
    },
  );

  app.post<{ Params: VinParams }>('/api/1/vehicles/:vin/wake_up', meter('wake_up', 'wake'), async (req, reply) => {
    const acct = account(req, reply);
    const v = acct && vehicle(acct, req.params.vin, reply);
    if (!acct || !v) return reply;
    const now = state.now();
    requestWake(v, now, env);
    state.meter.wake(acct.id);
    // The answer shows the state now: still "asleep" until the wake delay has passed.
    return { response: listItem(v, now, env) };
  });

  /** A command, sent straight to the Fleet API (`signed` false) or through the signing proxy (`signed` true). */
  const commandRoute =
    (signed: boolean) =>
    async (req: FastifyRequest<{ Params: VinParams & { name: string }; Body: unknown }>, reply: FastifyReply) => {
      const acct = account(req, reply);
      const v = acct && vehicle(acct, req.params.vin, reply);
      if (!acct || !v) return reply;
      if (!acct.scopes.includes('vehicle_cmds') && missingScope(acct, ['vehicle_charging_cmds'], reply)) return reply;
      // Billed all the same (status below 500): the meter counts it as a command.
      if (!signed && state.options.requireSignedCommands) return reply.code(403).send(UNSIGNED);
      const now = state.now();
      if (!isOnline(v, now, env)) return reply.code(408).send(UNAVAILABLE);
      const body = req.body !== null && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
      const result = runCommand(req.params.name, { v, body, now, env, region });
      if (!result) {
        return reply.code(400).send({
          response: null,
          error: 'invalid_command',
          error_description: `command ${req.params.name} is not supported by the simulator`,
        });
      }
      touch(v, now);
      return { response: result };
    };

  app.post<{ Params: VinParams & { name: string }; Body: unknown }>(
    '/api/1/vehicles/:vin/command/:name',
    meter('command', 'command'),
    commandRoute(false),
  );
  // The stand-in for tesla-http-proxy: same path and bearer token under /proxy; its commands count as signed.
  app.post<{ Params: VinParams & { name: string }; Body: unknown }>(
    `${PROXY_PREFIX}/api/1/vehicles/:vin/command/:name`,
    meter('command', 'command'),
    commandRoute(true),
  );
}

function clampInt(raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || !/^\d+$/.test(raw)) return fallback;
  return Math.min(max, Math.max(min, Number(raw)));
}
