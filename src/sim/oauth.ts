import type { FastifyInstance } from 'fastify';
import { contextOf } from './context.js';
import type { GrantResult, SimState } from './state.js';

/**
 * Tesla's token endpoint (TESLA.md "OAuth"): form-encoded (JSON accepted too), grant types refresh_token
 * and authorization_code. Error bodies are `{error, error_description}`; a spent refresh token is a 401
 * login_required, as Tesla answers, not the RFC's invalid_grant. Free, but counted by the meter.
 */

type Params = Record<string, string | undefined>;

function params(body: unknown): Params {
  if (body === null || typeof body !== 'object') return {};
  const out: Params = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
  }
  return out;
}

function invalidRequest(description: string): GrantResult {
  return {
    ok: false,
    status: 400,
    outcome: 'invalid_request',
    accountId: null,
    body: { error: 'invalid_request', error_description: description },
  };
}

const missing = (p: Params, names: string[]): string[] => names.filter((n) => p[n] === undefined || p[n] === '');

async function grant(state: SimState, p: Params): Promise<GrantResult> {
  const type = p.grant_type;
  if (type === undefined || type === '') return invalidRequest('grant_type is required');
  if (type === 'refresh_token') {
    const absent = missing(p, ['client_id', 'refresh_token']);
    if (absent.length > 0) return invalidRequest(`missing ${absent.join(', ')}`);
    return state.auth.refresh(p.client_id as string, p.refresh_token as string);
  }
  if (type === 'authorization_code') {
    const absent = missing(p, ['client_id', 'code']);
    if (absent.length > 0) return invalidRequest(`missing ${absent.join(', ')}`);
    return state.auth.exchangeCode({
      clientId: p.client_id as string,
      code: p.code as string,
      ...(p.code_verifier ? { codeVerifier: p.code_verifier } : {}),
      ...(p.client_secret ? { clientSecret: p.client_secret } : {}),
      ...(p.redirect_uri ? { redirectUri: p.redirect_uri } : {}),
    });
  }
  return {
    ok: false,
    status: 400,
    outcome: 'unsupported_grant_type',
    accountId: null,
    body: { error: 'unsupported_grant_type', error_description: `grant_type ${type} is not supported` },
  };
}

export async function oauthRoutes(app: FastifyInstance, opts: { state: SimState }): Promise<void> {
  const { state } = opts;
  app.post('/oauth2/v3/token', async (req, reply) => {
    const result = await grant(state, params(req.body));
    contextOf(req).accountId = result.accountId;
    state.meter.oauthOutcome(result.outcome, result.accountId);
    // Token answers must never be cached by anything in between.
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return reply.code(result.ok ? 200 : result.status).send(result.body);
  });
}
