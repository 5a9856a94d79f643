import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** pino level → Cloud Logging severity, so JSON lines are understood by Google Cloud as they are. */
const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/**
 * Paths that could hold a token if a caller ever passed one by mistake. Code never logs tokens on purpose;
 * this is the second line of defence.
 */
const REDACT_PATHS = [
  'access_token',
  'refresh_token',
  'id_token',
  'accessToken',
  'refreshToken',
  'token',
  'secret',
  'authorization',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.accessToken',
  '*.refreshToken',
  '*.token',
  '*.secret',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
];

export interface LogOptions {
  name: string;
  level?: string;
  /** Human-readable output; defaults to on when stdout is a terminal and LOG_FORMAT is not "json". */
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LogOptions): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const pretty =
    options.pretty ?? (process.env.LOG_FORMAT === 'pretty' || (process.stdout.isTTY && process.env.LOG_FORMAT !== 'json'));
  const base: LoggerOptions = {
    name: options.name,
    level,
    messageKey: 'message',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: {
      level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT', level: label }),
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(base, options.destination as pino.DestinationStream);
  if (pretty) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { messageKey: 'message', ignore: 'pid,hostname,severity', translateTime: 'SYS:HH:MM:ss' },
      },
    });
  }
  return pino(base);
}

/** A logger that drops everything: the default for library code constructed without one. */
export const silentLogger: Logger = pino({ level: 'silent' });
