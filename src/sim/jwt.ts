import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import type { Clock } from '../core/clock.js';
import { ACCESS_TOKEN_ISSUER, ID_TOKEN_ISSUER, TESLA_FLEET_BASE_URL, type Region } from './options.js';

/**
 * Access and id tokens are real JWTs (TESLA.md: the vehicle-command proxy decodes them and routes by
 * aud/ou_code), signed HS256 with a secret that lives only in this simulator instance. Expiry is judged by
 * the simulator's clock, never the wall clock, so tests can age tokens with a ManualClock.
 */

export interface AccessClaims {
  iss: string;
  azp: string;
  sub: string;
  aud: string[];
  scp: string[];
  ou_code: Region;
  exp: number;
  iat: number;
  jti: string;
}

export interface IssuedAccess {
  token: string;
  claims: AccessClaims;
}

export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: 'invalid' | 'expired' };

export interface AccessRequest {
  accountId: string;
  clientId: string;
  scopes: readonly string[];
  region: Region;
}

export class JwtIssuer {
  private readonly secret = randomBytes(32);

  constructor(
    private readonly clock: Clock,
    private readonly accessTtlSec: number,
    /** The simulator's own Fleet API URL; known only once it listens, hence a function. */
    private readonly fleetUrl: () => string,
  ) {}

  async issueAccess(req: AccessRequest): Promise<IssuedAccess> {
    const iat = Math.floor(this.clock.now() / 1000);
    const claims: AccessClaims = {
      iss: ACCESS_TOKEN_ISSUER,
      azp: req.clientId,
      sub: req.accountId,
      // The simulator first (clients and proxies route by it), then the real regional URL, as Tesla lists several.
      aud: [this.fleetUrl(), TESLA_FLEET_BASE_URL[req.region]],
      scp: [...req.scopes],
      ou_code: req.region,
      iat,
      exp: iat + this.accessTtlSec,
      jti: randomUUID(),
    };
    const token = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(this.secret);
    return { token, claims };
  }

  async issueId(req: AccessRequest): Promise<string> {
    const iat = Math.floor(this.clock.now() / 1000);
    return new SignJWT({ sub: req.accountId, aud: req.clientId, iss: ID_TOKEN_ISSUER, iat, exp: iat + this.accessTtlSec })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(this.secret);
  }

  /** Signature, issuer and expiry (per the simulator clock). Anything else is the caller's business. */
  async verifyAccess(token: string): Promise<VerifyResult> {
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        algorithms: ['HS256'],
        issuer: ACCESS_TOKEN_ISSUER,
        currentDate: new Date(this.clock.now()),
        requiredClaims: ['sub', 'exp', 'iat', 'jti', 'ou_code'],
      });
      return { ok: true, claims: payload as unknown as AccessClaims };
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
      return { ok: false, reason: 'invalid' };
    }
  }
}
