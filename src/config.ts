import { z } from 'zod';

/**
 * Configuration from the environment (names fixed by SYSTEM.md "Contracts"). Parsed once at start-up; a bad
 * value stops the process with a message naming the variable and what it expects.
 */

export const TESLA_DEFAULTS = {
  authUrl: 'https://fleet-auth.prd.vn.cloud.tesla.com',
  apiUrl: 'https://fleet-api.prd.eu.vn.cloud.tesla.com',
} as const;

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** An http(s) URL; an empty value counts as unset. */
const url = (name: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z
      .string()
      .trim()
      .refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), { message: `${name} must be an http(s) URL` })
      .optional(),
  );

const EnvSchema = z.object({
  TESLA_AUTH_URL: url('TESLA_AUTH_URL'),
  TESLA_API_URL: url('TESLA_API_URL'),
  TESLA_CLIENT_ID: optionalText,
  TESLA_CLIENT_SECRET: optionalText,
  TESLA_COMMAND_PROXY_URL: url('TESLA_COMMAND_PROXY_URL'),
  TOKEN_STORE: optionalText,
  TOKEN_ENCRYPTION_KEY: optionalText,
  WORKER_SERVICE_URL: url('WORKER_SERVICE_URL'),
  WORKER_SHARED_SECRET: optionalText,
  /** How the Worker checks callers: explicit, never a silent fallback to no auth (see compose.ts workerAuth). */
  WORKER_AUTH_MODE: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : typeof v === 'string' ? v.trim() : v),
    z.enum(['shared-secret', 'google'], { error: 'WORKER_AUTH_MODE must be "shared-secret" or "google"' }).default('shared-secret'),
  ),
  /** Comma-separated: accepted ID-token audiences (the Worker URL) and caller service-account emails (google mode). */
  WORKER_AUDIENCES: z.string().optional().transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean)),
  WORKER_ALLOWED_CALLERS: z.string().optional().transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean)),
  /** The project for Cloud Logging trace names and `sm://NAME` secret references. */
  GOOGLE_CLOUD_PROJECT: optionalText,
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  HOME_LATITUDE: z.coerce.number().min(-90).max(90).optional(),
  HOME_LONGITUDE: z.coerce.number().min(-180).max(180).optional(),
  HOME_RADIUS_M: z.coerce.number().positive().default(150),
  OFFPEAK_TIMEZONE: z
    .string()
    .default('Europe/Warsaw')
    .refine((tz) => isTimeZone(tz), { message: 'OFFPEAK_TIMEZONE must be an IANA time zone such as Europe/Warsaw' }),
  OFFPEAK_ACCOUNT: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'OFFPEAK_ACCOUNT must be 1-64 letters, digits, dot, dash or underscore')
    .default('default'),
  /** How long a refresh lease lives; a crashed holder blocks refreshes of its account for at most this long. */
  TOKEN_LEASE_TTL_SEC: z.coerce.number().int().min(1).max(600).default(60),
  SCOUT_INTERVAL_MIN: z.coerce.number().positive().max(24 * 60).default(15),
  // Charging (the Worker's cycle and the daily replan). Times are home time (OFFPEAK_TIMEZONE).
  OFFPEAK_TARIFF: z.string().trim().min(1).default('g12'),
  CHARGE_READY_BY: z.string().regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'CHARGE_READY_BY must be a time HH:MM').default('07:00'),
  BATTERY_CAPACITY_KWH: z.coerce.number().positive().max(300).default(75),
  CHARGER_POWER_KW: z.coerce.number().positive().max(350).default(11),
  CHARGE_FLOOR_PERCENT: z.coerce.number().min(0).max(100).default(20),
  FALLBACK_SAFE_MIN_PERCENT: z.coerce.number().min(0).max(100).default(50),
  FALLBACK_CHEAP_WINDOW: z
    .string()
    .regex(/^([01]?\d|2[0-3]):[0-5]\d-([01]?\d|2[0-3]):[0-5]\d$/, 'FALLBACK_CHEAP_WINDOW must look like 22:00-06:00')
    .default('22:00-06:00'),
  DAILY_REPLAN_AT: z.string().regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'DAILY_REPLAN_AT must be a time HH:MM').default('13:15'),
});

export type Env = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const result = EnvSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration in the environment:\n${lines.join('\n')}`);
  }
  return result.data;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
