import { describe, expect, it } from 'vitest';
import { easterSunday, polishHolidays } from '../../src/tariff/holidays.js';

describe('Polish public holidays', () => {
  it('computes Easter Sunday', () => {
    expect(
      [2019, 2024, 2025, 2026, 2027, 2038].map((y) => easterSunday(y).toString()),
    ).toEqual(['2019-04-21', '2024-03-31', '2025-04-20', '2026-04-05', '2027-03-28', '2038-04-25']);
  });
  it('lists the fixed and movable holidays of 2026', () => {
    expect([...polishHolidays(2026)].sort()).toEqual([
      '2026-01-01', '2026-01-06', '2026-04-05', '2026-04-06', '2026-05-01', '2026-05-03', '2026-05-24',
      '2026-06-04', '2026-08-15', '2026-11-01', '2026-11-11', '2026-12-24', '2026-12-25', '2026-12-26',
    ]);
  });
  it('makes 24 December a holiday only from 2025', () => {
    expect(polishHolidays(2024).has('2024-12-24')).toBe(false);
    expect(polishHolidays(2025).has('2025-12-24')).toBe(true);
  });
});
