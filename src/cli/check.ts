import type { Command } from 'commander';
import { loadEnv, TESLA_DEFAULTS } from '../config.js';
import { formatResults, runTokenChecks } from '../check/check-tokens.js';
import { fail } from './common.js';
import { createLogger } from '../core/log.js';
import { withResolvedSecrets } from '../gcp/env.js';

export function registerCheckCommand(program: Command): void {
  program
    .command('check-tokens')
    .description('verify the token architecture of a running Worker: six checks, exit 0 only if all pass')
    .requiredOption('--worker-url <url>', 'the Worker base URL')
    .option('--secret <secret>', 'the Worker shared secret (default: WORKER_SHARED_SECRET)')
    .option('--tesla-api-url <url>', 'the Fleet API to test the token against (default: TESLA_API_URL)')
    .option('--auth <mode>', 'shared-secret, or google: a Google ID token for the Worker URL from Application Default Credentials (default: WORKER_AUTH_MODE)')
    .option('--audience <url>', 'with --auth google: the ID token audience (default: --worker-url)')
    .action(async (options: { workerUrl: string; secret?: string; teslaApiUrl?: string; auth?: string; audience?: string }) => {
      let env;
      try {
        env = loadEnv();
      } catch (error) {
        fail(error);
      }
      if (!URL.canParse(options.workerUrl)) fail(`--worker-url: "${options.workerUrl}" is not a URL`);
      const mode = options.auth ?? env.WORKER_AUTH_MODE;
      if (mode !== 'shared-secret' && mode !== 'google') fail(`--auth: "${mode}" is not shared-secret or google`);
      const teslaApiUrl = options.teslaApiUrl ?? env.TESLA_API_URL ?? TESLA_DEFAULTS.apiUrl;
      let credentials: { secret: string } | { authorization: () => Promise<string> };
      if (mode === 'google') {
        const header = await googleAuthorization(options.audience ?? options.workerUrl.replace(/\/+$/, ''));
        credentials = { authorization: async () => header };
      } else {
        const secret = options.secret ?? (await withResolvedSecrets(env, createLogger({ name: 'check', level: 'warn' })).catch((error: unknown) => fail(error))).WORKER_SHARED_SECRET;
        if (!secret) fail('no Worker secret: set WORKER_SHARED_SECRET or pass --secret (or --auth google for a Worker on Cloud Run)');
        credentials = { secret };
      }
      const results = await runTokenChecks({ workerUrl: options.workerUrl, ...credentials, teslaApiUrl });
      process.stdout.write(`${formatResults(results)}\n`);
      process.exitCode = results.every((r) => r.ok) ? 0 : 1;
    });
}

/** An ID token minted once for the whole check; a failure ends the command with what to do about it. */
async function googleAuthorization(audience: string): Promise<string> {
  const { mintIdTokenForWorker } = await import('../auth/google-id-token.js');
  try {
    return `Bearer ${await mintIdTokenForWorker(audience)}`;
  } catch (error) {
    fail(`--auth google: no ID token for ${audience}: ${error instanceof Error ? error.message : String(error)} (log in with "gcloud auth application-default login --impersonate-service-account=…")`);
  }
}
