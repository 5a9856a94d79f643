import type { Command } from 'commander';
import { openStore, storeSpec } from '../compose.js';
import type { Env } from '../config.js';
import type { Logger } from '../core/log.js';
import { TokenBroker } from '../tokens/broker.js';
import type { TokenStore } from '../tokens/store.js';
import { fail, withEnv } from './common.js';

/** Reads a whole stream (the token given as "-" on stdin, so it stays out of the shell history). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** Stores a refresh token for an account, replacing what was there (a new login retires older tokens). */
export async function importRefreshToken(store: TokenStore, account: string, refreshToken: string): Promise<number> {
  for (;;) {
    const current = await store.get(account);
    try {
      const record = await store.put(
        account,
        { tokens: { refreshToken, accessToken: null, accessExpiresAt: null, accessIssuedAt: null }, status: 'ok', statusReason: null },
        current?.version ?? 0,
      );
      return record.version;
    } catch (error) {
      if (!(error instanceof Error && error.name === 'VersionConflictError')) throw error;
    }
  }
}

export function registerTokensCommand(program: Command): void {
  const tokens = program.command('tokens').description('manage the stored Tesla tokens (never prints a token)');

  tokens
    .command('import')
    .description('store a Tesla refresh token for the configured account (OFFPEAK_ACCOUNT)')
    .requiredOption('--refresh-token <token>', 'the refresh token, or "-" to read it from standard input (recommended)')
    .action((options: { refreshToken: string }) =>
      withEnv('tokens', async (env, log) => {
        const value = options.refreshToken === '-' ? await readStdin() : options.refreshToken.trim();
        if (!value) fail('--refresh-token: the refresh token is empty');
        if (/\s/.test(value) || value.length > 8192) fail('--refresh-token: that does not look like a Tesla refresh token (whitespace inside, or longer than 8192 characters)');
        if (options.refreshToken !== '-') log.warn({ event: 'token_on_command_line' }, 'a token given on the command line may stay in your shell history; prefer --refresh-token -');
        const store = await openStore(env, log);
        const version = await importRefreshToken(store, env.OFFPEAK_ACCOUNT, value);
        await store.close();
        process.stdout.write(`stored a refresh token for account "${env.OFFPEAK_ACCOUNT}" in ${describeStore(env)} (version ${version}); the Worker refreshes it on its next use\n`);
      }),
    );

  tokens
    .command('status')
    .description('show the state of the stored tokens: expiry, version, re-login needed (no token is printed)')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) =>
      withEnv('tokens', async (env, log) => {
        const report = await tokenStatus(env, log);
        await report.store.close();
        if (options.json) {
          process.stdout.write(`${JSON.stringify(report.status, null, 2)}\n`);
        } else {
          const s = report.status;
          process.stdout.write(
            [
              `account:     ${s.account}`,
              `store:       ${describeStore(env)}`,
              `state:       ${s.state}${s.reason ? ` (${s.reason})` : ''}`,
              `expires:     ${s.expiresAt ?? '-'}${s.remainingMinutes !== null ? ` (${s.remainingMinutes} min left)` : ''}`,
              `refresh due: ${s.refreshDueAt ?? '-'}`,
              `version:     ${s.storeVersion ?? '-'}`,
            ].join('\n') + '\n',
          );
        }
        process.exitCode = report.status.state === 'reauth_required' || report.status.state === 'missing' ? 1 : 0;
      }),
    );
}

async function tokenStatus(env: Env, log: Logger) {
  const store = await openStore(env, log);
  // A broker that can never refresh: status only reads (token rule 1: the CLI never spends a refresh token).
  const broker = new TokenBroker({
    store,
    tesla: { refresh: () => Promise.reject(new Error('tokens status never refreshes')) },
  });
  return { store, status: await broker.status(env.OFFPEAK_ACCOUNT) };
}

/** The store spec without anything secret in it (a database URL may hold a password). */
function describeStore(env: Env): string {
  return storeSpec(env).replace(/\/\/[^@/]*@/, '//***@');
}
