import { createHash } from 'node:crypto';
import { secretsEqual } from '../core/secrets.js';
import { newAuthorizationCode, newRefreshToken, sha256Hex } from './ids.js';
import { JwtIssuer, type AccessClaims } from './jwt.js';
import type { OauthOutcome } from './meter.js';
import { TESLA_FLEET_BASE_URL, type Region, type ResolvedSimOptions } from './options.js';
import { graceUntil, relogin, rotate, type RefreshState, type RotationPolicy } from './rotation.js';

/**
 * The auth server: refresh-token rotation per account, login codes, and the check of Fleet API bearer
 * tokens. Raw refresh tokens and codes are never stored, only their sha256; the only raw tokens are in
 * the answers to the caller that asked for them.
 */

export interface Account {
  id: string;
  clientId: string;
  region: Region;
  scopes: string[];
  vins: string[];
  refresh: RefreshState;
  /** With revokeAccessOnRefresh: the jtis of the access tokens still honoured. Null: no revocation. */
  liveJtis: Set<string> | null;
  createdAt: number;
}

interface AuthCode {
  accountId: string;
  expiresAt: number;
  redirectUri: string | null;
  codeChallenge: string | null;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  id_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

export type GrantResult =
  | { ok: true; accountId: string; outcome: OauthOutcome; body: TokenPair }
  | { ok: false; accountId: string | null; outcome: OauthOutcome; status: number; body: { error: string; error_description: string } };

export type AccessCheck =
  | { ok: true; account: Account; claims: AccessClaims }
  | { ok: false; status: 401 | 421; body: Record<string, unknown> };

/** Codes live 10 minutes, like typical OAuth servers. */
const CODE_TTL_MS = 10 * 60_000;
/** How many refresh-token hashes we index (live and spent), to find an account and attribute a login_required. */
const INDEX_MAX = 100_000;

const fail = (
  status: number,
  error: string,
  description: string,
  outcome: OauthOutcome,
  accountId: string | null = null,
): GrantResult => ({ ok: false, status, outcome, accountId, body: { error, error_description: description } });

export class AuthServer {
  readonly jwt: JwtIssuer;
  private readonly codes = new Map<string, AuthCode>();
  /** sha256 of refresh tokens ever issued → account id, oldest evicted first. */
  private readonly tokenIndex = new Map<string, string>();
  private readonly policy: RotationPolicy;

  constructor(
    private readonly options: ResolvedSimOptions,
    private readonly accounts: ReadonlyMap<string, Account>,
    /** client_id → secret (null: public client). */
    private readonly clients: ReadonlyMap<string, string | null>,
    fleetUrl: () => string,
  ) {
    this.jwt = new JwtIssuer(options.clock, options.accessTtlSec, fleetUrl);
    this.policy = { graceMs: options.refreshGraceSec * 1000, refreshTtlMs: options.refreshTtlSec * 1000 };
  }

  private now(): number {
    return this.options.clock.now();
  }

  /** Registers an account's first refresh token (the account already holds its hash). */
  registerAccount(account: Account): void {
    if (account.refresh.latestHash !== null) this.index(account.refresh.latestHash, account.id);
  }

  /** Admin view of the valid refresh tokens: hashes only, and the grace token only while it is valid. */
  refreshView(account: Account): Record<string, unknown> {
    const until = graceUntil(account.refresh, this.policy);
    const graceValid = until !== null && this.now() < until;
    return {
      latest_sha256: account.refresh.latestHash,
      latest_issued_at: account.refresh.latestIssuedAt,
      grace_sha256: graceValid ? account.refresh.graceHash : null,
      grace_until: graceValid ? until : null,
      refreshes: account.refresh.refreshes,
    };
  }

  private index(hash: string, accountId: string): void {
    this.tokenIndex.set(hash, accountId);
    if (this.tokenIndex.size > INDEX_MAX) {
      const oldest = this.tokenIndex.keys().next();
      if (!oldest.done) this.tokenIndex.delete(oldest.value);
    }
  }

  private accountOfRefreshHash(hash: string): Account | undefined {
    const id = this.tokenIndex.get(hash);
    if (id !== undefined) return this.accounts.get(id);
    // Evicted from the index (very old): look at the live tokens of every account.
    for (const a of this.accounts.values()) {
      if (a.refresh.latestHash === hash || a.refresh.graceHash === hash) return a;
    }
    return undefined;
  }

  private async issuePair(account: Account, refreshToken: string, revokeEarlier: boolean): Promise<TokenPair> {
    const req = { accountId: account.id, clientId: account.clientId, scopes: account.scopes, region: account.region };
    const access = await this.jwt.issueAccess(req);
    if (account.liveJtis !== null) {
      if (revokeEarlier) account.liveJtis.clear();
      account.liveJtis.add(access.claims.jti);
    }
    return {
      access_token: access.token,
      refresh_token: refreshToken,
      id_token: await this.jwt.issueId(req),
      expires_in: this.options.accessTtlSec,
      token_type: 'Bearer',
    };
  }

  /** grant_type=refresh_token. The rotation is committed synchronously, before any await. */
  async refresh(clientId: string, presented: string): Promise<GrantResult> {
    if (!this.clients.has(clientId)) {
      return fail(400, 'unauthorized_client', `client_id ${clientId} is not registered`, 'unauthorized_client');
    }
    const hash = sha256Hex(presented);
    const account = this.accountOfRefreshHash(hash);
    const invalid = () =>
      fail(401, 'login_required', 'The refresh_token is invalid', 'login_required', account?.id ?? null);
    // A token is bound to the client it was issued to; another client's copy is just an invalid token.
    if (!account || account.clientId !== clientId) return invalid();
    const newToken = newRefreshToken(account.region);
    const before = account.refresh;
    const next = rotate(before, hash, sha256Hex(newToken), this.now(), this.policy);
    if (next === null) return invalid();
    account.refresh = next;
    if (next.latestHash !== null) this.index(next.latestHash, account.id);
    const body = await this.issuePair(account, newToken, true);
    return { ok: true, accountId: account.id, outcome: 'refresh_ok', body };
  }

  /** Admin login: a one-time code for grant_type=authorization_code (PKCE S256 challenge optional). */
  createLoginCode(account: Account, redirectUri: string | null, codeChallenge: string | null): string {
    const code = newAuthorizationCode(account.region);
    this.codes.set(sha256Hex(code), {
      accountId: account.id,
      expiresAt: this.now() + CODE_TTL_MS,
      redirectUri,
      codeChallenge,
    });
    return code;
  }

  async exchangeCode(params: {
    clientId: string;
    code: string;
    codeVerifier?: string;
    clientSecret?: string;
    redirectUri?: string;
  }): Promise<GrantResult> {
    const known = this.clients.get(params.clientId);
    if (known === undefined) {
      return fail(400, 'unauthorized_client', `client_id ${params.clientId} is not registered`, 'unauthorized_client');
    }
    const key = sha256Hex(params.code);
    const entry = this.codes.get(key);
    const account = entry ? this.accounts.get(entry.accountId) : undefined;
    const bad = (why: string) => fail(400, 'invalid_grant', why, 'invalid_grant', account?.id ?? null);
    if (!entry || !account || entry.expiresAt <= this.now()) return bad('The authorization code is invalid or expired');
    if (account.clientId !== params.clientId) return bad('The authorization code was issued to another client');
    if (entry.redirectUri !== null && params.redirectUri !== entry.redirectUri) return bad('redirect_uri does not match');
    if (entry.codeChallenge !== null) {
      if (params.codeVerifier === undefined) return bad('code_verifier is required');
      const challenge = createHash('sha256').update(params.codeVerifier, 'ascii').digest('base64url');
      if (!secretsEqual(challenge, entry.codeChallenge)) return bad('code_verifier does not match the code_challenge');
    } else if (params.codeVerifier === undefined) {
      if (params.clientSecret === undefined) return bad('client_secret or code_verifier is required');
      if (known !== null && !secretsEqual(params.clientSecret, known)) {
        return fail(401, 'invalid_client', 'client authentication failed', 'invalid_grant', account.id);
      }
    }
    // Codes are single use; a new login invalidates every earlier refresh token of the account.
    this.codes.delete(key);
    const newToken = newRefreshToken(account.region);
    account.refresh = relogin(account.refresh, sha256Hex(newToken), this.now());
    if (account.refresh.latestHash !== null) this.index(account.refresh.latestHash, account.id);
    const body = await this.issuePair(account, newToken, false);
    return { ok: true, accountId: account.id, outcome: 'authorization_code_ok', body };
  }

  // ---- Fleet API authentication -------------------------------------------------------------------------

  async checkAccess(authorization: string | undefined): Promise<AccessCheck> {
    const invalid: AccessCheck = { ok: false, status: 401, body: { error: 'invalid bearer token' } };
    const expired: AccessCheck = { ok: false, status: 401, body: { error: 'token expired (401)' } };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) return invalid;
    const verdict = await this.jwt.verifyAccess(match[1]);
    if (!verdict.ok) return verdict.reason === 'expired' ? expired : invalid;
    const account = this.accounts.get(verdict.claims.sub);
    if (!account) return invalid;
    // Revoked tokens look expired to the client, as Tesla gives no other signal for them.
    if (account.liveJtis !== null && !account.liveJtis.has(verdict.claims.jti)) return expired;
    if (verdict.claims.ou_code !== this.options.region) {
      const url = TESLA_FLEET_BASE_URL[verdict.claims.ou_code] ?? TESLA_FLEET_BASE_URL.NA;
      return { ok: false, status: 421, body: { error: `user out of region, use base URL: ${url}` } };
    }
    return { ok: true, account, claims: verdict.claims };
  }
}
