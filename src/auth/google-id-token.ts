/**
 * Service-to-service authentication on Google Cloud: the Scout (and Cloud Scheduler) call the Worker with a
 * Google-signed ID token whose audience is the Worker's URL; the Worker verifies it here.
 *
 * Cloud Run's own IAM check (`--no-allow-unauthenticated` + run.invoker) already rejects unsigned callers at
 * the front door. The Worker verifies again because /get-token hands out Tesla tokens: the allow-list of
 * caller service accounts is narrower than "anyone holding run.invoker", and the check keeps working if the
 * service is ever made public by mistake.
 */
import { GoogleAuth, type IdTokenClient } from 'google-auth-library';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type CryptoKey,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type JWTPayload,
} from 'jose';

export type { JWTPayload };

export const GOOGLE_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs';
export const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

export type IdTokenRejectionReason =
  | 'malformed'
  | 'bad_signature'
  | 'unknown_key'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'caller_not_allowed'
  | 'email_not_verified'
  | 'keys_unavailable';

/** A refused token. The message explains why for logs and never contains the token itself. */
export class IdTokenRejectedError extends Error {
  override readonly name = 'IdTokenRejectedError';
  constructor(
    readonly reason: IdTokenRejectionReason,
    message: string,
  ) {
    super(message);
  }
}

export interface GoogleIdTokenVerifierOptions {
  /** Accepted `aud` values: the Worker's URL(s). */
  audiences: string[];
  /** Service-account emails allowed to call (compared case-insensitively). */
  allowedCallers: string[];
  jwksUrl?: string;
  issuers?: string[];
  /** Tolerance for `exp`/`nbf`, in seconds. Default 30. */
  clockToleranceSec?: number;
  /** Epoch milliseconds; drives claim checks and the key cache. */
  now?: () => number;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Minimum time between two JWKS fetches, in ms (bounds refetches on unknown key ids). Default 30 s. */
  jwksCooldownMs?: number;
  /** Abort a JWKS fetch after this many ms. Default 5 s. */
  jwksTimeoutMs?: number;
}

export interface GoogleIdTokenVerifier {
  verify(token: string): Promise<{ caller: string; claims: JWTPayload }>;
}

/** Google ID tokens are about 1 KB; anything far larger is not one and is refused before parsing. */
const MAX_TOKEN_CHARS = 16 * 1024;
/** Used when the JWKS answer has no Cache-Control max-age (Google's normally says several hours). */
const DEFAULT_KEYS_TTL_MS = 5 * 60_000;
const MAX_KEYS_TTL_MS = 24 * 3_600_000;
/**
 * If Google's JWKS endpoint fails after our copy expired, keep using that copy for this long: Google
 * publishes keys well before using them and keeps them after, so a slightly old set is still right, and a
 * short outage of the endpoint should not lock the Scout out.
 */
const STALE_IF_ERROR_MS = 3_600_000;

function unavailable(message: string): IdTokenRejectedError {
  return new IdTokenRejectedError('keys_unavailable', message);
}

/** max-age from a Cache-Control header, in ms, clamped; the default when absent. */
function ttlFromCacheControl(header: string | null): number {
  const match = header ? /(?:^|[,\s])max-age=(\d+)/i.exec(header) : null;
  if (!match?.[1]) return DEFAULT_KEYS_TTL_MS;
  return Math.min(Number(match[1]) * 1000, MAX_KEYS_TTL_MS);
}

function isJwks(body: unknown): body is JSONWebKeySet {
  return typeof body === 'object' && body !== null && Array.isArray((body as { keys?: unknown }).keys);
}

/**
 * Google's signing keys, cached for the time its Cache-Control allows, on the injected clock. Every fetch
 * (expiry, unknown key id, retry after failure) is at most one per cooldown and concurrent callers share it.
 */
class GoogleKeyCache {
  private keys: ReturnType<typeof createLocalJWKSet> | undefined;
  private expiresAt = 0;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly fetchImpl: typeof fetch,
    private readonly now: () => number,
    private readonly cooldownMs: number,
    private readonly timeoutMs: number,
  ) {}

  async getKey(header: JWSHeaderParameters): Promise<CryptoKey> {
    await this.ensureFresh();
    try {
      return await this.keys!(header);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      // A key id we do not know: Google may have rotated keys since our fetch. Look once more, bounded.
      if (this.inflight) await this.inflight.catch(() => undefined);
      else if (this.mayFetch()) await this.refresh();
      else throw err;
      return await this.keys!(header);
    }
  }

  private mayFetch(): boolean {
    return this.now() - this.lastAttempt >= this.cooldownMs;
  }

  private async ensureFresh(): Promise<void> {
    if (this.inflight) await this.inflight.catch(() => undefined);
    const now = this.now();
    if (this.keys && now < this.expiresAt) return;
    const staleUsable = this.keys !== undefined && now < this.expiresAt + STALE_IF_ERROR_MS;
    if (!this.mayFetch()) {
      if (staleUsable) return;
      throw unavailable('Google signing keys are unavailable (last fetch failed; retrying after a cooldown)');
    }
    try {
      await this.refresh();
    } catch (err) {
      if (!staleUsable) throw err;
    }
  }

  private refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async load(): Promise<void> {
    this.lastAttempt = this.now();
    let res: Response;
    try {
      res = await this.fetchImpl(this.url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw unavailable(`could not fetch Google signing keys from ${this.url}: ${(err as Error).message}`);
    }
    if (!res.ok) throw unavailable(`Google signing keys endpoint ${this.url} answered HTTP ${res.status}`);
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw unavailable(`Google signing keys endpoint ${this.url} did not answer JSON`);
    }
    if (!isJwks(body)) throw unavailable(`Google signing keys endpoint ${this.url} did not answer a JWKS`);
    try {
      this.keys = createLocalJWKSet(body);
    } catch (err) {
      throw unavailable(`Google signing keys are invalid: ${(err as Error).message}`);
    }
    this.expiresAt = this.now() + ttlFromCacheControl(res.headers.get('cache-control'));
  }
}

/** Translates jose's failures into our reasons. Messages are built here so no token text can leak. */
function rejectionFor(err: unknown): IdTokenRejectedError {
  if (err instanceof IdTokenRejectedError) return err;
  if (err instanceof errors.JWTExpired) return new IdTokenRejectedError('expired', 'ID token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    const missing = err.reason === 'missing';
    if (err.claim === 'iss' && !missing) return new IdTokenRejectedError('wrong_issuer', 'ID token issuer is not Google');
    if (err.claim === 'aud' && !missing) {
      return new IdTokenRejectedError('wrong_audience', 'ID token audience is not this service');
    }
    if (err.claim === 'nbf') return new IdTokenRejectedError('not_yet_valid', 'ID token is not valid yet');
    return new IdTokenRejectedError('malformed', `ID token claim "${err.claim}" is ${missing ? 'missing' : 'invalid'}`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JOSEAlgNotAllowed) {
    return new IdTokenRejectedError('bad_signature', 'ID token signature does not verify');
  }
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new IdTokenRejectedError('unknown_key', 'ID token is signed with a key Google does not publish');
  }
  if (err instanceof errors.JOSEError) return new IdTokenRejectedError('malformed', `ID token is malformed (${err.code})`);
  throw err; // not a token problem: a bug, surface it as is
}

export function createGoogleIdTokenVerifier(opts: GoogleIdTokenVerifierOptions): GoogleIdTokenVerifier {
  const audiences = opts.audiences.filter((a) => a.length > 0);
  const allowed = new Set(opts.allowedCallers.map((c) => c.trim().toLowerCase()).filter((c) => c.length > 0));
  // An empty list would accept nobody (or, worse, be read as "anybody" by a careless caller): refuse it early.
  if (audiences.length === 0) throw new Error('Google ID token verifier needs at least one audience (the Worker URL)');
  if (allowed.size === 0) throw new Error('Google ID token verifier needs at least one allowed caller');
  const now = opts.now ?? Date.now;
  const issuers = opts.issuers ?? GOOGLE_ISSUERS;
  const clockTolerance = opts.clockToleranceSec ?? 30;
  const cache = new GoogleKeyCache(
    opts.jwksUrl ?? GOOGLE_JWKS_URL,
    opts.fetch ?? fetch,
    now,
    opts.jwksCooldownMs ?? 30_000,
    opts.jwksTimeoutMs ?? 5_000,
  );

  async function verify(token: string): Promise<{ caller: string; claims: JWTPayload }> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS || token.split('.').length !== 3) {
      throw new IdTokenRejectedError('malformed', 'not a signed JWT');
    }
    let header: JWSHeaderParameters;
    try {
      header = decodeProtectedHeader(token) as JWSHeaderParameters;
    } catch {
      throw new IdTokenRejectedError('malformed', 'ID token header cannot be decoded');
    }
    // Google signs ID tokens with RS256 only; anything else (HS256, none) is a forgery attempt or not Google's.
    if (header.alg !== 'RS256') throw new IdTokenRejectedError('bad_signature', 'ID token is not signed with RS256');
    if (typeof header.kid !== 'string') throw new IdTokenRejectedError('malformed', 'ID token header has no key id');

    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, (h) => cache.getKey(h), {
        algorithms: ['RS256'],
        issuer: issuers,
        audience: audiences,
        clockTolerance,
        currentDate: new Date(now()),
        requiredClaims: ['exp', 'iat'],
      }));
    } catch (err) {
      throw rejectionFor(err);
    }

    const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : undefined;
    if (!email) {
      throw new IdTokenRejectedError('caller_not_allowed', 'ID token has no email claim (mint it with the email included)');
    }
    if (claims.email_verified !== true && claims.email_verified !== 'true') {
      throw new IdTokenRejectedError('email_not_verified', `caller ${email} has no verified email`);
    }
    if (!allowed.has(email)) throw new IdTokenRejectedError('caller_not_allowed', `caller ${email} is not allowed`);
    return { caller: email, claims };
  }

  return { verify };
}

/* ---------------------------------------------------------------- Scout side */

let googleAuth: GoogleAuth | undefined;
const idTokenClients = new Map<string, Promise<IdTokenClient>>();

/**
 * An ID token for calling the Worker, from Application Default Credentials (the metadata server on Cloud
 * Functions; an impersonated service account on a workstation). The IdTokenClient caches the token until
 * near expiry, so one client per audience is kept. Not testable offline: it needs Google's servers.
 */
export async function mintIdTokenForWorker(audience: string): Promise<string> {
  googleAuth ??= new GoogleAuth();
  let client = idTokenClients.get(audience);
  if (!client) {
    client = googleAuth.getIdTokenClient(audience);
    idTokenClients.set(audience, client);
    client.catch(() => idTokenClients.delete(audience)); // do not cache a failure
  }
  const authorization = (await (await client).getRequestHeaders()).get('authorization') ?? '';
  if (!authorization.startsWith('Bearer ')) throw new Error('Google credentials returned no ID token');
  return authorization.slice('Bearer '.length);
}
