/**
 * Tesla's refresh-token rotation, as pure functions over one account's state (TESLA.md "OAuth"):
 * - each successful refresh issues a new pair; the presented token is spent;
 * - valid are exactly (a) the latest issued token (until it ages out) and (b) the most recently USED token,
 *   within the grace period measured from its FIRST use (for clients that failed to save the new one);
 * - using the grace token again issues another pair, which replaces the latest: the previous latest dies.
 *
 * Only sha256 hashes are kept: the simulator cannot leak a token it no longer holds, and admin reads can
 * show the hashes as they are.
 */

export interface RefreshState {
  /** sha256 of the latest issued refresh token; null when the account has none (never logged in). */
  latestHash: string | null;
  latestIssuedAt: number;
  /** sha256 of the most recently used token while it may still be in its grace period. */
  graceHash: string | null;
  /** Epoch ms of the grace token's first use. */
  graceFirstUsedAt: number | null;
  /** Successful refreshes so far. */
  refreshes: number;
}

export interface RotationPolicy {
  graceMs: number;
  /** How long an unused latest token stays valid. */
  refreshTtlMs: number;
}

export type Verdict = 'latest' | 'grace' | 'invalid';

export const freshRefreshState = (hash: string, now: number): RefreshState => ({
  latestHash: hash,
  latestIssuedAt: now,
  graceHash: null,
  graceFirstUsedAt: null,
  refreshes: 0,
});

/** The end of the grace window (epoch ms), or null when there is no grace token. */
export function graceUntil(state: RefreshState, policy: RotationPolicy): number | null {
  return state.graceHash === null || state.graceFirstUsedAt === null ? null : state.graceFirstUsedAt + policy.graceMs;
}

/** Which of the valid tokens (if any) the presented hash is. */
export function judge(state: RefreshState, hash: string, now: number, policy: RotationPolicy): Verdict {
  if (state.latestHash !== null && hash === state.latestHash && now - state.latestIssuedAt < policy.refreshTtlMs) {
    return 'latest';
  }
  const until = graceUntil(state, policy);
  // Strictly inside the window: with a grace of 0 the spent token is never accepted again.
  if (until !== null && hash === state.graceHash && now < until) return 'grace';
  return 'invalid';
}

/**
 * Spends the presented token and installs `newHash` as the latest. Returns the new state, or null when the
 * token is not valid (the caller answers 401 login_required). Does not mutate its input.
 */
export function rotate(
  state: RefreshState,
  presentedHash: string,
  newHash: string,
  now: number,
  policy: RotationPolicy,
): RefreshState | null {
  const verdict = judge(state, presentedHash, now, policy);
  if (verdict === 'invalid') return null;
  const base = { latestHash: newHash, latestIssuedAt: now, refreshes: state.refreshes + 1 };
  if (verdict === 'latest') {
    // The spent latest becomes the most recently used token; its grace starts now (its first use).
    return { ...base, graceHash: presentedHash, graceFirstUsedAt: now };
  }
  // Grace token used again: it stays the most recently used, its window still counted from its first use.
  return { ...base, graceHash: state.graceHash, graceFirstUsedAt: state.graceFirstUsedAt };
}

/** A new login: one fresh token, every earlier one invalid. */
export function relogin(state: RefreshState, newHash: string, now: number): RefreshState {
  return { latestHash: newHash, latestIssuedAt: now, graceHash: null, graceFirstUsedAt: null, refreshes: state.refreshes };
}
