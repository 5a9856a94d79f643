import { timingSafeEqual } from 'node:crypto';

/** Secrets up to this many bytes are compared over exactly this width, so their length does not show. */
const MIN_COMPARE_WIDTH = 256;

/** Compares a presented secret with the expected one in constant time; see `secretMatcher`. */
export function secretsEqual(presented: string, expected: string): boolean {
  return secretMatcher(expected)(presented);
}

/**
 * A constant-time check of presented secrets against one expected secret, for checks on every request.
 *
 * Both sides are zero-padded to one fixed width and compared with `timingSafeEqual` over the whole width, and
 * the lengths are compared as numbers: the time taken depends on neither the content nor the length of the
 * expected secret. A presented value longer than the width is refused at once; for a secret longer than 256
 * bytes the width is its length, which a caller could therefore learn by timing (never its content). (Hashing both sides with SHA-256 hides lengths too, but under load the hash cost the Worker
 * about a quarter of its CPU per request; the padded compare costs a few hundred nanoseconds.)
 */
export function secretMatcher(expected: string): (presented: string) => boolean {
  const expectedLength = Buffer.byteLength(expected, 'utf8');
  const width = Math.max(MIN_COMPARE_WIDTH, expectedLength);
  const expectedPadded = Buffer.alloc(width);
  expectedPadded.write(expected, 'utf8');
  const scratch = Buffer.alloc(width);
  const usable = expectedLength > 0;
  return (presented) => {
    const length = Buffer.byteLength(presented, 'utf8');
    if (length > width) return false;
    scratch.fill(0);
    scratch.write(presented, 'utf8');
    // Both conditions are always evaluated: no early exit that depends on the expected side.
    const sameBytes = timingSafeEqual(scratch, expectedPadded);
    return sameBytes && length === expectedLength && usable;
  };
}
