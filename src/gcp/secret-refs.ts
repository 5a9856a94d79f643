import { ConfigError } from '../config.js';
import { silentLogger, type Logger } from '../core/log.js';

/**
 * Static secrets by reference: `TESLA_CLIENT_SECRET=sm://projects/P/secrets/NAME/versions/V` (or
 * `sm://NAME`, `sm://NAME/versions/V` with GOOGLE_CLOUD_PROJECT) is replaced by the secret's value from
 * Secret Manager once, at start, before the configuration is validated.
 *
 * Only these three variables: they change rarely and by hand. The rotating Tesla tokens never go to Secret
 * Manager: it has no compare-and-swap (two writers would both "win" and one refresh token would be lost) and
 * every version added is billed, at one version per refresh.
 */
export const SECRET_VARIABLES = ['TESLA_CLIENT_SECRET', 'TOKEN_ENCRYPTION_KEY', 'WORKER_SHARED_SECRET'] as const;

export const SECRET_REF_PREFIX = 'sm://';

/** The part of @google-cloud/secret-manager's SecretManagerServiceClient used here; a fake in tests. */
export interface SecretAccessClient {
  accessSecretVersion(request: { name: string }): Promise<unknown[]>;
  close?(): Promise<void>;
}

export interface ResolveOptions {
  /** Defaults to a real SecretManagerServiceClient, imported only when a reference is present. */
  client?: () => Promise<SecretAccessClient>;
  logger?: Logger;
  /** Resolved values by resource name, kept by long-lived callers (a Cloud Function instance) across calls. */
  cache?: Map<string, string>;
}

const ID = '[A-Za-z0-9_-]{1,255}';
const VERSION = '(?:latest|[1-9][0-9]*)';
const FULL = new RegExp(`^projects/([a-z0-9.:-]{1,100})/secrets/(${ID})(?:/versions/(${VERSION}))?$`);
const SHORT = new RegExp(`^(${ID})(?:/versions/(${VERSION}))?$`);

/** The Secret Manager resource name a reference points at, or null when the value is not a reference. */
export function secretResourceName(variable: string, value: string | undefined, project: string | undefined): string | null {
  if (!value?.trim().startsWith(SECRET_REF_PREFIX)) return null;
  const ref = value.trim().slice(SECRET_REF_PREFIX.length);
  const full = FULL.exec(ref);
  if (full) return `projects/${full[1]}/secrets/${full[2]}/versions/${full[3] ?? 'latest'}`;
  const short = SHORT.exec(ref);
  if (short) {
    if (!project?.trim()) {
      throw new ConfigError(`${variable}: the reference sm://${ref} has no project; set GOOGLE_CLOUD_PROJECT or write sm://projects/PROJECT/secrets/${short[1]}/versions/latest`);
    }
    return `projects/${project.trim()}/secrets/${short[1]}/versions/${short[2] ?? 'latest'}`;
  }
  throw new ConfigError(`${variable}: "${SECRET_REF_PREFIX}…" must be sm://projects/PROJECT/secrets/NAME[/versions/VERSION] or sm://NAME[/versions/VERSION]`);
}

/** A copy of `env` with every secret reference replaced by its value. Values are never logged. */
export async function resolveSecretRefs(env: NodeJS.ProcessEnv, options: ResolveOptions = {}): Promise<NodeJS.ProcessEnv> {
  const logger = options.logger ?? silentLogger;
  const wanted = SECRET_VARIABLES.flatMap((variable) => {
    const name = secretResourceName(variable, env[variable], env.GOOGLE_CLOUD_PROJECT);
    return name ? [{ variable, name }] : [];
  });
  if (wanted.length === 0) return env;

  const cache = options.cache ?? new Map<string, string>();
  const resolved: NodeJS.ProcessEnv = { ...env };
  let client: SecretAccessClient | undefined;
  try {
    for (const { variable, name } of wanted) {
      let value = cache.get(name);
      if (value === undefined) {
        client ??= await (options.client ?? defaultClient)();
        value = await access(client, variable, name);
        cache.set(name, value);
      }
      resolved[variable] = value;
      logger.info({ event: 'secret_resolved', variable, secret: name }, `${variable} read from Secret Manager (${name})`);
    }
  } finally {
    await client?.close?.().catch(() => undefined);
  }
  return resolved;
}

async function access(client: SecretAccessClient, variable: string, name: string): Promise<string> {
  let answer: unknown[];
  try {
    answer = await client.accessSecretVersion({ name });
  } catch (error) {
    // gRPC errors carry a numeric code; the message is Google's and names the resource, never a value.
    throw new ConfigError(`${variable}: could not read ${name} from Secret Manager: ${grpcReason(error)}`);
  }
  const data = (answer[0] as { payload?: { data?: Uint8Array | string | null } | null } | undefined)?.payload?.data;
  // Trimmed like every other variable: `openssl rand -base64 32 | gcloud secrets create --data-file=-` stores a newline.
  const value = (typeof data === 'string' ? data : data ? Buffer.from(data).toString('utf8') : '').trim();
  if (!value) throw new ConfigError(`${variable}: the secret ${name} in Secret Manager is empty`);
  return value;
}

const GRPC_CODES: Record<number, string> = {
  3: 'INVALID_ARGUMENT (malformed name)',
  5: 'NOT_FOUND (no such secret or version)',
  7: 'PERMISSION_DENIED (grant roles/secretmanager.secretAccessor on this secret to the service account)',
  9: 'FAILED_PRECONDITION (the version is disabled or destroyed)',
  14: 'UNAVAILABLE (Secret Manager unreachable)',
  16: 'UNAUTHENTICATED (no Google credentials)',
};

function grpcReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && GRPC_CODES[code]) return GRPC_CODES[code]!;
  return error instanceof Error ? error.message.slice(0, 300) : String(error);
}

async function defaultClient(): Promise<SecretAccessClient> {
  // Loaded only when a reference is present: the self-hosted path never pays for the gRPC stack.
  const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
  return new SecretManagerServiceClient() as unknown as SecretAccessClient;
}
