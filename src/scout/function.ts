/**
 * The Scout as a 2nd gen HTTP Cloud Function (deploy/gcp/deploy.sh: `--entry-point offpeakScout`, bundled by
 * deploy/gcp/bundle-scout.mjs). Cloud Scheduler calls it every 15 minutes; each call is one Scout tick.
 * The answer says what the tick did (token source, vehicles seen, Tesla calls), never a token.
 */
import { http, type Request, type Response } from '@google-cloud/functions-framework';
import { loadEnv } from '../config.js';
import { createLogger } from '../core/log.js';
import { withResolvedSecrets } from '../gcp/env.js';
import { scoutFromEnv, type ScoutOverrides } from './from-env.js';
import type { ScoutTickResult } from './tick.js';

const log = createLogger({ name: 'scout' });
/** Secret values read once per function instance, not once per tick (each access is a billed operation). */
const secretCache = new Map<string, string>();
/** Test seam: set by tests to reach the simulator and Worker in-process. */
export const scoutOverrides: ScoutOverrides = {};

export async function offpeakScout(req: Request, res: Response): Promise<void> {
  if (req.method !== 'POST' && req.method !== 'GET') {
    res.status(405).set('allow', 'GET, POST').json({ error: 'method_not_allowed', message: 'call the Scout with POST (Cloud Scheduler) or GET' });
    return;
  }
  let scout;
  try {
    const env = await withResolvedSecrets(loadEnv(process.env), log, process.env, { cache: secretCache });
    scout = scoutFromEnv(env, log, scoutOverrides);
  } catch (error) {
    // A configuration error is permanent until someone redeploys: 500 with the message (it names variables,
    // never values), so Scheduler's log and the function's log both say what to fix.
    const message = error instanceof Error ? error.message : String(error);
    log.error({ event: 'config_error', error: message }, `Scout not configured: ${message}`);
    res.status(500).json({ error: 'config_error', message });
    return;
  }
  let result: ScoutTickResult;
  try {
    result = await scout.tick();
  } catch (error) {
    log.error({ event: 'tick_error', error: error instanceof Error ? error.message : String(error) }, 'Scout tick failed unexpectedly');
    res.status(500).json({ error: 'internal', message: 'the Scout tick failed unexpectedly; see the function log' });
    return;
  } finally {
    await scout.close().catch(() => undefined);
  }
  res.status(statusOf(result)).json(result);
}

/**
 * 200 when the tick saw the vehicles; 503 when it had no token and skipped (Scheduler records a failure and
 * the next tick tries again); 502 when it had a token but Tesla's answer failed it.
 */
function statusOf(result: ScoutTickResult): number {
  if (result.ok) return 200;
  return result.tokenSource === null ? 503 : 502;
}

http('offpeakScout', offpeakScout);
