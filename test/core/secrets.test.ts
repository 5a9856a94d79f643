import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { secretMatcher, secretsEqual } from '../../src/core/secrets.js';

describe('secretMatcher', () => {
  it('accepts exactly the expected secret, for any pair of strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), (expected, presented) => {
        expect(secretMatcher(expected)(presented)).toBe(expected.length > 0 && presented === expected);
        expect(secretMatcher(expected)(expected)).toBe(expected.length > 0);
      }),
    );
  });

  it('refuses prefixes, suffixes, zero padding and truncated multibyte tails', () => {
    const matches = secretMatcher('s3cret-ünïcode-✓');
    expect(matches('s3cret-ünïcode-✓')).toBe(true);
    expect(matches('s3cret-ünïcode-')).toBe(false);
    expect(matches('s3cret-ünïcode-✓✓')).toBe(false);
    expect(matches('s3cret-ünïcode-✓\0')).toBe(false);
    expect(matches('')).toBe(false);
  });

  it('compares secrets longer than the padding width, and refuses longer presented values', () => {
    const long = 'k'.repeat(1000);
    expect(secretsEqual(long, long)).toBe(true);
    expect(secretsEqual(long.slice(1), long)).toBe(false);
    expect(secretsEqual(`${long}k`, long)).toBe(false);
    // A secret filling the width exactly, and a presented value whose multibyte tail would be cut to fit it.
    const full = 'a'.repeat(256);
    expect(secretsEqual(full, full)).toBe(true);
    expect(secretsEqual(`${full}é`, full)).toBe(false);
    expect(secretsEqual(`${'a'.repeat(255)}é`, full)).toBe(false);
  });

  it('never accepts anything for an empty expected secret', () => {
    expect(secretsEqual('', '')).toBe(false);
    expect(secretsEqual('x', '')).toBe(false);
  });

  it('gives the same answers when one matcher is reused (its scratch buffer is cleared each time)', () => {
    const matches = secretMatcher('short');
    expect(matches('a much longer wrong value')).toBe(false);
    expect(matches('short')).toBe(true);
    expect(matches('shor')).toBe(false);
  });
});
