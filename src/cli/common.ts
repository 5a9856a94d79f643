import { loadEnv, type Env } from '../config.js';
import { createLogger, type Logger } from '../core/log.js';

/** Runs a command body with the environment parsed; configuration errors end the process with exit code 2. */
export async function withEnv<T>(name: string, body: (env: Env, log: Logger) => Promise<T>): Promise<T> {
  let env: Env;
  try {
    env = loadEnv();
  } catch (error) {
    fail(error);
  }
  const log = createLogger({ name });
  try {
    return await body(env, log);
  } catch (error) {
    if (error instanceof Error && error.name === 'ConfigError') fail(error);
    throw error;
  }
}

export function fail(error: unknown, code = 2): never {
  process.stderr.write(`offpeak: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(code);
}

/** Resolves on SIGINT or SIGTERM, for long-running commands to shut down cleanly. */
export const untilSignal = (): Promise<NodeJS.Signals> =>
  new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => resolve(signal);
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  });

export function listenHost(env: Env): string {
  // Cloud Run sends traffic to 0.0.0.0:$PORT; at home the Worker stays on loopback unless HOST says otherwise.
  return process.env.K_SERVICE && !process.env.HOST ? '0.0.0.0' : env.HOST;
}
