import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { TeslaError } from '../tesla/errors.js';
import {
  NoTokensError,
  PersistFailedError,
  ReauthRequiredError,
  RefreshBackoffError,
  RefreshBusyError,
} from '../tokens/errors.js';
import { StoreCorruptError, StoreUnavailableError } from '../tokens/store.js';

interface HttpAnswer {
  status: number;
  error: string;
  message: string;
  retryAfterSec?: number;
}

/** Every failure the Worker can meet, mapped to a status code that tells the truth and a stable error code. */
function toHttpAnswer(error: unknown, nowMs: number): HttpAnswer {
  if (error instanceof ReauthRequiredError) return { status: 503, error: 'reauth_required', message: error.message };
  if (error instanceof NoTokensError) return { status: 503, error: 'no_tokens', message: error.message };
  if (error instanceof RefreshBackoffError) {
    return { status: 503, error: 'refresh_backoff', message: error.message, retryAfterSec: Math.max(1, Math.ceil((error.retryAt - nowMs) / 1000)) };
  }
  if (error instanceof RefreshBusyError) return { status: 503, error: 'refresh_busy', message: error.message, retryAfterSec: 2 };
  if (error instanceof PersistFailedError) return { status: 503, error: 'store_write_failed', message: error.message, retryAfterSec: 2 };
  if (error instanceof StoreUnavailableError) return { status: 503, error: 'store_unavailable', message: error.message, retryAfterSec: 5 };
  if (error instanceof StoreCorruptError) return { status: 500, error: 'store_corrupt', message: error.message };
  if (error instanceof TeslaError) {
    return error.transient
      ? { status: 502, error: 'tesla_unavailable', message: error.message, retryAfterSec: 10 }
      : { status: 502, error: 'tesla_error', message: error.message };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { status: fastifyError.statusCode, error: errorCodeFor(fastifyError), message: fastifyError.message ?? 'bad request' };
  }
  return { status: 500, error: 'internal_error', message: 'unexpected error; see the Worker log' };
}

function errorCodeFor(error: Partial<FastifyError>): string {
  if (error.validation) return 'invalid_request';
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'malformed_json';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'body_too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported_media_type';
    default:
      return 'bad_request';
  }
}

export async function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown, nowMs: number): Promise<void> {
  const answer = toHttpAnswer(error, nowMs);
  if (answer.status >= 500) {
    const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    request.log.error({ event: 'request_failed', error: answer.error, cause }, 'request failed');
  }
  if (answer.retryAfterSec) void reply.header('retry-after', String(answer.retryAfterSec));
  await reply.code(answer.status).send({ error: answer.error, message: answer.message });
}
