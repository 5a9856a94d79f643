import type { Command } from 'commander';
import { loadEnv, TESLA_DEFAULTS } from '../config.js';
import { formatResults, runTokenChecks } from '../check/check-tokens.js';
import { fail } from './common.js';

export function registerCheckCommand(program: Command): void {
  program
    .command('check-tokens')
    .description('verify the token architecture of a running Worker: six checks, exit 0 only if all pass')
    .requiredOption('--worker-url <url>', 'the Worker base URL')
    .option('--secret <secret>', 'the Worker shared secret (default: WORKER_SHARED_SECRET)')
    .option('--tesla-api-url <url>', 'the Fleet API to test the token against (default: TESLA_API_URL)')
    .action(async (options: { workerUrl: string; secret?: string; teslaApiUrl?: string }) => {
      let env;
      try {
        env = loadEnv();
      } catch (error) {
        fail(error);
      }
      if (!URL.canParse(options.workerUrl)) fail(`--worker-url: "${options.workerUrl}" is not a URL`);
      const secret = options.secret ?? env.WORKER_SHARED_SECRET;
      if (!secret) fail('no Worker secret: set WORKER_SHARED_SECRET or pass --secret');
      const teslaApiUrl = options.teslaApiUrl ?? env.TESLA_API_URL ?? TESLA_DEFAULTS.apiUrl;
      const results = await runTokenChecks({ workerUrl: options.workerUrl, secret, teslaApiUrl });
      process.stdout.write(`${formatResults(results)}\n`);
      process.exitCode = results.every((r) => r.ok) ? 0 : 1;
    });
}
