import { describe, expect, it } from 'vitest';
import { parseBy } from '../../src/cli/target.js';
import { nextLocalTime } from '../../src/charging/local-time.js';

const TZ = 'Europe/Warsaw';
const WED = Date.parse('2026-06-03T10:00:00Z'); // Wednesday 12:00 Warsaw

describe('one-off target times (home time zone, DST included)', () => {
  it('"Saturday 07:00" is the coming Saturday at 07:00 home time', () => {
    expect(new Date(parseBy('Saturday 07:00', WED, TZ)!).toISOString()).toBe('2026-06-06T05:00:00.000Z');
    expect(new Date(parseBy('sat 7:00', WED, TZ)!).toISOString()).toBe('2026-06-06T05:00:00.000Z');
    expect(new Date(parseBy('11:00', WED, TZ)!).toISOString()).toBe('2026-06-04T09:00:00.000Z');
    expect(new Date(parseBy('2026-06-06T07:00', WED, TZ)!).toISOString()).toBe('2026-06-06T05:00:00.000Z');
    expect(parseBy('someday 07:00', WED, TZ)).toBeNull();
    expect(parseBy('25:00', WED, TZ)).toBeNull();
  });

  it('lesson: jobs ran an hour off — the ready-by time is wall-clock home time across both DST changes', () => {
    // The night of 28-29 March 2026 (spring forward) and 24-25 October 2026 (fall back), Warsaw.
    expect(new Date(nextLocalTime(Date.parse('2026-03-28T20:00:00Z'), '07:00', TZ)).toISOString()).toBe('2026-03-29T05:00:00.000Z');
    expect(new Date(nextLocalTime(Date.parse('2026-10-24T20:00:00Z'), '07:00', TZ)).toISOString()).toBe('2026-10-25T06:00:00.000Z');
  });
});
