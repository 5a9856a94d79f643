import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TouTariff, parseTouConfig } from '../../src/tariff/tou.js';
import { presetConfig, presetTariff, PRESET_NAMES } from '../../src/tariff/presets.js';
import { TariffConfigError, TariffParseError } from '../../src/tariff/errors.js';

const at = (iso: string) => Date.parse(iso);
const H = 3_600_000;

/** Total hours at a given price inside [from, to). */
async function hoursAt(t: TouTariff, from: string, to: string, price: number): Promise<number> {
  const slots = await t.pricesBetween(at(from), at(to));
  return slots.filter((s) => s.pricePerKwh === price).reduce((sum, s) => sum + (s.end - s.start), 0) / H;
}

describe('G12 preset', () => {
  const g12 = presetTariff('g12', { peak: 1, offPeak: 0.5 });

  it('is cheap 22:00-06:00 and 13:00-15:00 Warsaw time, peak otherwise', () => {
    expect(g12.priceAt(at('2026-01-14T21:59:00+01:00'))).toBe(1);
    expect(g12.priceAt(at('2026-01-14T22:00:00+01:00'))).toBe(0.5);
    expect(g12.priceAt(at('2026-01-15T05:59:00+01:00'))).toBe(0.5);
    expect(g12.priceAt(at('2026-01-15T06:00:00+01:00'))).toBe(1);
    expect(g12.priceAt(at('2026-07-15T13:00:00+02:00'))).toBe(0.5);
    expect(g12.priceAt(at('2026-07-15T15:00:00+02:00'))).toBe(1);
  });

  it('gives a 7 h night on 2026-03-28/29 and a 9 h night on 2026-10-24/25 (DST)', async () => {
    expect(await hoursAt(g12, '2026-03-28T18:00:00+01:00', '2026-03-29T10:00:00+02:00', 0.5)).toBe(7);
    expect(await hoursAt(g12, '2026-10-24T18:00:00+02:00', '2026-10-25T10:00:00+01:00', 0.5)).toBe(9);
    expect(await hoursAt(g12, '2026-01-10T18:00:00+01:00', '2026-01-11T10:00:00+01:00', 0.5)).toBe(8);
  });

  it('returns contiguous slots of at most one hour covering exactly the range', async () => {
    const from = at('2026-10-24T17:20:00+02:00');
    const to = at('2026-10-26T09:10:00+01:00');
    const slots = await g12.pricesBetween(from, to);
    expect(slots[0]?.start).toBe(from);
    expect(slots[slots.length - 1]?.end).toBe(to);
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      expect(s.end - s.start).toBeLessThanOrEqual(H);
      if (i > 0) expect(s.start).toBe(slots[i - 1]!.end);
    }
  });
});

describe('G12w preset', () => {
  const g12w = presetTariff('g12w', { peak: 1, offPeak: 0.5 });
  it('is cheap all weekend, and on weekdays at night and 13-15', () => {
    expect(g12w.priceAt(at('2026-06-13T10:00:00+02:00'))).toBe(0.5); // Saturday
    expect(g12w.priceAt(at('2026-06-14T18:00:00+02:00'))).toBe(0.5); // Sunday
    expect(g12w.priceAt(at('2026-06-15T03:00:00+02:00'))).toBe(0.5); // Monday night
    expect(g12w.priceAt(at('2026-06-15T10:00:00+02:00'))).toBe(1); // Monday morning
    expect(g12w.priceAt(at('2026-06-15T14:00:00+02:00'))).toBe(0.5);
  });
  it('is cheap all day on Polish public holidays that fall on weekdays', () => {
    expect(g12w.priceAt(at('2026-11-11T10:00:00+01:00'))).toBe(0.5); // Independence Day, Wednesday
    expect(g12w.priceAt(at('2026-06-04T10:00:00+02:00'))).toBe(0.5); // Corpus Christi, Thursday
    expect(g12w.priceAt(at('2026-04-06T10:00:00+02:00'))).toBe(0.5); // Easter Monday
    expect(g12w.priceAt(at('2026-11-12T10:00:00+01:00'))).toBe(1); // the day after
  });
});

describe('other presets', () => {
  it('G11 has one price around the clock', async () => {
    const g11 = presetTariff('g11', { peak: 0.9 });
    const slots = await g11.pricesBetween(at('2026-03-28T00:00:00+01:00'), at('2026-03-30T00:00:00+02:00'));
    expect(new Set(slots.map((s) => s.pricePerKwh))).toEqual(new Set([0.9]));
  });
  it('Octopus Go is cheap 00:30-05:30 UK time, across the UK DST change too', async () => {
    const go = presetTariff('octopus-go');
    expect(go.currency).toBe('GBP');
    expect(go.priceAt(at('2026-01-10T00:29:00Z'))).toBe(0.27);
    expect(go.priceAt(at('2026-01-10T00:30:00Z'))).toBe(0.085);
    expect(go.priceAt(at('2026-07-10T00:30:00+01:00'))).toBe(0.085); // BST
    expect(go.priceAt(at('2026-07-10T00:10:00Z'))).toBe(0.085); // 01:10 BST
    expect(await hoursAt(go, '2026-03-27T12:00:00Z', '2026-03-28T12:00:00Z', 0.085)).toBe(5);
    // The UK clocks go forward at 01:00 GMT on 2026-03-29: 00:30-05:30 on the wall clock is 4 hours that night.
    expect(await hoursAt(go, '2026-03-28T12:00:00Z', '2026-03-29T12:00:00+01:00', 0.085)).toBe(4);
  });
  it('every preset builds and validates', () => {
    for (const name of PRESET_NAMES) expect(() => parseTouConfig(presetConfig(name))).not.toThrow();
  });
  it('an unknown preset names the known ones', () => {
    expect(() => presetTariff('g13')).toThrow(TariffConfigError);
    expect(() => presetTariff('g13')).toThrow(/g11, g12, g12w, octopus-go/);
  });
});

describe('configured zones', () => {
  it('applies seasons (wrapping over New Year) and day types', () => {
    const t = new TouTariff({
      name: 'seasonal',
      currency: 'PLN',
      timeZone: 'Europe/Warsaw',
      basePrice: 1,
      rules: [
        { from: '15:00', to: '17:00', price: 0.4, season: { from: '04-01', to: '09-30' } },
        { from: '13:00', to: '15:00', price: 0.4, season: { from: '10-01', to: '03-31' } },
        { from: '00:00', to: '24:00', price: 0.3, days: ['holiday'] },
      ],
      holidays: ['2026-08-17'],
    });
    expect(t.priceAt(at('2026-07-01T16:00:00+02:00'))).toBe(0.4);
    expect(t.priceAt(at('2026-07-01T14:00:00+02:00'))).toBe(1);
    expect(t.priceAt(at('2026-12-01T14:00:00+01:00'))).toBe(0.4);
    expect(t.priceAt(at('2026-02-01T14:00:00+01:00'))).toBe(0.4);
    expect(t.priceAt(at('2026-12-01T16:00:00+01:00'))).toBe(1);
    expect(t.priceAt(at('2026-08-17T09:00:00+02:00'))).toBe(0.3);
  });

  it('keeps zone edges on a tariff clock other than the home one (UTC-fixed meter)', () => {
    const t = new TouTariff({ name: 'ni', currency: 'GBP', timeZone: 'UTC', basePrice: 1, rules: [{ from: '01:00', to: '08:00', price: 0.5 }] });
    expect(t.priceAt(at('2026-07-01T08:30:00+01:00'))).toBe(0.5); // 07:30 UTC
    expect(t.priceAt(at('2026-07-01T09:00:00+01:00'))).toBe(1);
  });

  it('rejects bad configuration with the field at fault', () => {
    const bad = { name: 'x', currency: 'PLN', basePrice: 1, rules: [{ from: '22:00', to: '25:00', price: 0.5 }] };
    expect(() => new TouTariff(bad)).toThrow(TariffParseError);
    expect(() => new TouTariff(bad)).toThrow(/rules\.0\.to/);
    expect(() => new TouTariff({ name: 'x', currency: 'PLN', basePrice: 1, timeZone: 'Mars/Olympus' })).toThrow(/timeZone: not an IANA time zone/);
    expect(() => parseTouConfig({ name: 'x', currency: 'PLN', basePrice: 1, rules: [], extra: 1 })).toThrow(TariffParseError);
  });

  it('property: every slot has the price of each instant in it (slots never straddle a price change)', async () => {
    const tariffs = ['g12', 'g12w', 'octopus-go'].map((n) => presetTariff(n, { peak: 1, offPeak: 0.5 }));
    const start2026 = at('2026-01-01T00:00:00Z');
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 364 * 24 * 60 }),
        fc.integer({ min: 1, max: 3 * 24 * 60 }),
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }),
        async (startMin, lenMin, which, probes) => {
          const t = tariffs[which]!;
          const from = start2026 + startMin * 60_000;
          const slots = await t.pricesBetween(from, from + lenMin * 60_000);
          for (const s of slots) {
            for (const p of probes) {
              const instant = Math.min(s.end - 1, s.start + Math.floor(p * (s.end - s.start)));
              expect(t.priceAt(instant)).toBe(s.pricePerKwh);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
