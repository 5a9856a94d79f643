import { loadEnv, type Env } from '../config.js';
import type { Logger } from '../core/log.js';
import { resolveSecretRefs, type ResolveOptions } from './secret-refs.js';

/**
 * The configuration with `sm://` secret references resolved. `parsed` is what the command already
 * validated; when the raw environment holds references, they are resolved and the result validated again,
 * so every check on a secret's value sees the value and not the reference.
 */
export async function withResolvedSecrets(
  parsed: Env,
  logger: Logger,
  raw: NodeJS.ProcessEnv = process.env,
  options: Omit<ResolveOptions, 'logger'> = {},
): Promise<Env> {
  const resolved = await resolveSecretRefs(raw, { ...options, logger });
  return resolved === raw ? parsed : loadEnv(resolved);
}
