import type { Command } from 'commander';
import { withResolvedSecrets } from '../gcp/env.js';
import { scoutFromEnv } from '../scout/from-env.js';
import { withEnv } from './common.js';

export function registerScoutCommand(program: Command): void {
  program
    .command('scout')
    .description('run one Scout tick: take a token from the Worker (with fallbacks), look at the vehicles without waking them')
    .action(() =>
      withEnv('scout', async (parsed, log) => {
        const env = await withResolvedSecrets(parsed, log);
        const scout = scoutFromEnv(env, log);
        const result = await scout.tick();
        await scout.close();
        process.exitCode = result.ok ? 0 : 1;
      }),
    );
}
