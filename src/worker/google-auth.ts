import type { GoogleIdTokenVerifier, GoogleIdTokenVerifierOptions, IdTokenRejectedError } from '../auth/google-id-token.js';
import { silentLogger, type Logger } from '../core/log.js';
import { MAX_CREDENTIAL_LENGTH, type CallerAuth } from './auth.js';

/**
 * The Worker's caller check on Google Cloud: the caller sends a Google ID token (audience = the Worker URL)
 * and the verifier checks signature, issuer, audience, expiry and the caller allow-list. `requireCaller`
 * answers the 401; this logs why, because "401" alone does not tell an operator whether the audience, the
 * service account or the clock is wrong. The token never appears in a log line, only the refusal reason.
 */
export function googleIdTokenAuth(verifier: GoogleIdTokenVerifier, logger: Logger = silentLogger): CallerAuth {
  return {
    mode: 'google',
    async authenticate(authorization) {
      if (!authorization || authorization.length > MAX_CREDENTIAL_LENGTH) {
        logger.warn({ event: 'id_token_refused', reason: authorization ? 'too_long' : 'missing' }, 'caller sent no usable ID token');
        return null;
      }
      const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
      if (!match) {
        logger.warn({ event: 'id_token_refused', reason: 'not_bearer' }, 'caller sent an Authorization header that is not a bearer token');
        return null;
      }
      try {
        const { caller } = await verifier.verify(match[1]!);
        return caller;
      } catch (error) {
        // CallerAuth never throws: any failure, including a bug in verification, is a refusal.
        const rejected = isRejection(error);
        const reason = rejected ? error.reason : 'verification_error';
        const detail = rejected ? error.message : 'ID token could not be verified';
        logger.warn({ event: 'id_token_refused', reason }, `ID token refused: ${detail}`);
        return null;
      }
    },
  };
}

/** Checked by name, not `instanceof`, so that this module does not load the verifier's dependencies. */
function isRejection(error: unknown): error is IdTokenRejectedError {
  return error instanceof Error && error.name === 'IdTokenRejectedError' && typeof (error as { reason?: unknown }).reason === 'string';
}

/**
 * The verifier, loaded on the first request: its module pulls in google-auth-library and jose (~100 ms of
 * imports), which a self-hosted Worker in shared-secret mode should not pay for. The options are checked
 * (non-empty audiences and callers) by the caller before this is built.
 */
export function lazyGoogleIdTokenVerifier(options: GoogleIdTokenVerifierOptions): GoogleIdTokenVerifier {
  let loaded: Promise<GoogleIdTokenVerifier> | undefined;
  return {
    async verify(token) {
      loaded ??= import('../auth/google-id-token.js').then((m) => m.createGoogleIdTokenVerifier(options));
      return (await loaded).verify(token);
    },
  };
}
