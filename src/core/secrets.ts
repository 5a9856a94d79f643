import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented secret with the expected one in constant time. Both sides are hashed first so that
 * neither the content nor the length of the expected secret leaks through timing.
 */
export function secretsEqual(presented: string, expected: string): boolean {
  return secretMatcher(expected)(presented);
}

/** `secretsEqual` with the expected side hashed once, for checks on every request. */
export function secretMatcher(expected: string): (presented: string) => boolean {
  const digest = createHash('sha256').update(expected, 'utf8').digest();
  const usable = expected.length > 0;
  return (presented) => timingSafeEqual(createHash('sha256').update(presented, 'utf8').digest(), digest) && usable;
}
