import type { Command } from 'commander';
import { createLogger } from '../core/log.js';
import { buildSimulator } from './app.js';
import { REGIONS, type Region } from './options.js';

/**
 * `offpeak sim`: runs the simulator in the foreground. The first stdout line is exactly
 * `offpeak simulator listening on http://HOST:PORT` (tests and scripts parse it), then a short human hint,
 * then JSON log lines.
 */

interface RawOptions {
  port: string;
  host: string;
  accessTtl?: string;
  refreshGrace?: string;
  revokeOnRefresh?: boolean;
  sleepAfter?: string;
  wakeDelay?: string;
  region: string;
  requireSigned?: boolean;
}

export class CliOptionError extends Error {}

function seconds(flag: string, raw: string | undefined, allowZero: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || (!allowZero && value === 0)) {
    const what = allowZero ? 'a non-negative integer' : 'a positive integer';
    throw new CliOptionError(`${flag} must be ${what} number of seconds, got '${raw}'`);
  }
  return value;
}

/** Validates the flags into buildSimulator options; throws CliOptionError with a message for humans. */
export function parseSimFlags(raw: RawOptions) {
  const port = /^\d+$/.test(raw.port) ? Number(raw.port) : Number.NaN;
  if (!Number.isInteger(port) || port > 65_535) throw new CliOptionError(`--port must be an integer from 0 to 65535, got '${raw.port}'`);
  const region = raw.region.toUpperCase();
  if (!REGIONS.includes(region as Region)) {
    throw new CliOptionError(`--region must be one of ${REGIONS.join(', ')}, got '${raw.region}'`);
  }
  if (raw.host.trim() === '') throw new CliOptionError('--host must not be empty');
  return {
    port,
    host: raw.host,
    options: {
      accessTtlSec: seconds('--access-ttl', raw.accessTtl, false),
      refreshGraceSec: seconds('--refresh-grace', raw.refreshGrace, true),
      revokeAccessOnRefresh: raw.revokeOnRefresh ?? false,
      sleepAfterSec: seconds('--sleep-after', raw.sleepAfter, false),
      wakeDelaySec: seconds('--wake-delay', raw.wakeDelay, true),
      region: region as Region,
      requireSignedCommands: raw.requireSigned ?? false,
    },
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function hint(url: string): string {
  return [
    `Create an account with one car:   curl -s -X POST ${url}/sim/accounts -H 'content-type: application/json' -d '{"vehicles":1}'`,
    `Then point offpeak at it:         TESLA_AUTH_URL=${url} TESLA_API_URL=${url} TESLA_CLIENT_ID=<client_id from the answer>`,
    `Counters and bill:                curl -s ${url}/sim/stats`,
  ].join('\n');
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description("run the Tesla simulator (auth server, Fleet API, admin API under /sim/) for tests and demos")
    .option('--port <n>', 'port to listen on (0 = random)', '4455')
    .option('--host <host>', 'address to bind; the admin API has no authentication, keep it on loopback', '127.0.0.1')
    .option('--access-ttl <seconds>', 'access token lifetime (default 28800)')
    .option('--refresh-grace <seconds>', 'grace of the most recently used refresh token (default 86400; 0 = none)')
    .option('--revoke-on-refresh', "a refresh revokes the account's earlier access tokens")
    .option('--sleep-after <seconds>', 'idle time before a car falls asleep (default 900)')
    .option('--wake-delay <seconds>', 'time from wake_up until the car is online (default 10)')
    .option('--region <region>', 'region served: EU, NA or CN', 'EU')
    .option('--require-signed', 'direct commands answer 403 "Tesla Vehicle Command Protocol required"; send them via /proxy')
    .action(async (raw: RawOptions, command: Command) => {
      let flags: ReturnType<typeof parseSimFlags>;
      try {
        flags = parseSimFlags(raw);
      } catch (err) {
        if (err instanceof CliOptionError) command.error(`error: ${err.message}`, { exitCode: 2, code: 'offpeak.sim.options' });
        throw err;
      }
      const logger = createLogger({ name: 'offpeak-sim' });
      const sim = await buildSimulator({ ...flags.options, logger });
      const url = await sim.listen(flags.port, flags.host);
      process.stdout.write(`offpeak simulator listening on ${url}\n${hint(url)}\n`);
      logger.info({ url, region: flags.options.region }, 'simulator listening');
      if (!LOOPBACK.has(flags.host)) {
        process.stderr.write(`warning: --host ${flags.host} exposes the unauthenticated admin API beyond this machine\n`);
      }
      const stop = (signal: string) => {
        logger.info({ signal }, 'simulator stopping');
        sim.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
