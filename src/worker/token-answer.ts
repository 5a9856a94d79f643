import type { FastifyBaseLogger } from 'fastify';
import type { AccessToken } from '../tokens/broker.js';

/** What the Worker hands out: an access token and how long it lasts; never a refresh token. */
interface TokenAnswer {
  access_token: string;
  token_type: 'Bearer';
  expires_at: string;
  remaining_minutes: number;
  /** Only on POST /refresh-tokens: whether this request caused a refresh. */
  refreshed?: boolean;
}

export const TOKEN_ANSWER_CONTENT_TYPE = 'application/json; charset=utf-8';

const minutesLeft = (token: AccessToken, now: number): number => Math.floor((token.expiresAt - now) / 60_000);

export function tokenAnswer(token: AccessToken, now: number, refreshed?: boolean): TokenAnswer {
  return {
    access_token: token.accessToken,
    token_type: 'Bearer',
    expires_at: new Date(token.expiresAt).toISOString(),
    remaining_minutes: minutesLeft(token, now),
    ...(refreshed === undefined ? {} : { refreshed }),
  };
}

/**
 * The `GET /get-token` answer as bytes. It changes only when the token does or its minutes left tick down,
 * so it is serialized once a minute rather than on every request, and both the route and the fast path send
 * exactly these bytes.
 */
export class TokenAnswerBytes {
  private last: { accessToken: string; minutes: number; bytes: Buffer } | null = null;

  for(token: AccessToken, now: number): { bytes: Buffer; minutes: number } {
    const minutes = minutesLeft(token, now);
    if (this.last?.accessToken !== token.accessToken || this.last.minutes !== minutes) {
      this.last = { accessToken: token.accessToken, minutes, bytes: Buffer.from(JSON.stringify(tokenAnswer(token, now)), 'utf8') };
    }
    return { bytes: this.last.bytes, minutes };
  }
}

/**
 * The seed's "token shared with Scout" line, at most one per interval: a Scout every 15 minutes gets a line
 * per token it takes, while a burst of requests (many Scouts, a load test) is summarised instead of flooding
 * the log. Never contains the token.
 */
export class ShareLog {
  private lastAt = -Infinity;
  private pending = 0;

  constructor(
    private readonly account: string,
    private readonly intervalMs = 1000,
  ) {}

  /** `log` gives the request's logger; it is asked for only when a line is written. */
  record(log: () => Pick<FastifyBaseLogger, 'info'>, caller: string | undefined, minutes: number, now: number): void {
    this.pending++;
    if (now - this.lastAt < this.intervalMs) return;
    const shares = this.pending;
    this.lastAt = now;
    this.pending = 0;
    log().info(
      { event: 'token_shared', account: this.account, caller, remainingMinutes: minutes, shares },
      `Tesla token shared with Scout (${minutes} min left)${shares > 1 ? ` ×${shares} since the last line` : ''}`,
    );
  }
}
