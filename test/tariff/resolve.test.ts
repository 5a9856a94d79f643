import { describe, expect, it } from 'vitest';
import { resolveTariff } from '../../src/tariff/resolve.js';
import { TouTariff } from '../../src/tariff/tou.js';
import { SlotTariff } from '../../src/tariff/slot-tariff.js';
import { PseRceTariff } from '../../src/tariff/pse.js';
import { EntsoeDayAheadTariff } from '../../src/tariff/entsoe.js';
import { TariffConfigError, TariffParseError } from '../../src/tariff/errors.js';

const files: Record<string, string> = {
  'tou.json': JSON.stringify({ name: 'mine', currency: 'PLN', basePrice: 1, rules: [{ from: '22:00', to: '06:00', price: 0.5 }] }),
  'prices.json': JSON.stringify({ currency: 'EUR', prices: [{ start: '2026-01-01T00:00:00Z', price: 0.1 }] }),
  'prices.csv': 'start,eur_per_kwh\n2026-01-01T00:00:00Z,0.1\n',
  'bad.json': '{"name":"x","currency":"PLN","basePrice":1,"rules":[{"from":"22","to":"06:00","price":1}]}',
};
const deps = {
  readFile: async (p: string) => {
    const text = files[p];
    if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return text;
  },
  fetch: async () => new Response('{}'),
  env: { ENTSOE_API_KEY: 'k' },
};

describe('resolveTariff', () => {
  it('knows presets (any case), market sources and files', async () => {
    expect((await resolveTariff('G12W', deps)).name).toBe('g12w');
    expect(await resolveTariff('pse-rce', deps)).toBeInstanceOf(PseRceTariff);
    expect(await resolveTariff('entsoe:BE', deps)).toBeInstanceOf(EntsoeDayAheadTariff);
    const tou = await resolveTariff('tou.json', deps);
    expect(tou).toBeInstanceOf(TouTariff);
    expect(tou.name).toBe('mine');
    const json = await resolveTariff('prices.json', deps);
    expect(json).toBeInstanceOf(SlotTariff);
    expect(json.currency).toBe('EUR');
    expect((await resolveTariff('prices.csv', deps)).currency).toBe('EUR');
  });

  it('explains what it cannot use', async () => {
    await expect(resolveTariff('g13', deps)).rejects.toThrow(TariffConfigError);
    await expect(resolveTariff('prices.xlsx', deps)).rejects.toThrow(/not known; use a preset/);
    await expect(resolveTariff('missing.csv', deps)).rejects.toThrow(/cannot read tariff file "missing.csv": ENOENT/);
    await expect(resolveTariff('bad.json', deps)).rejects.toThrow(TariffParseError);
    await expect(resolveTariff('bad.json', deps)).rejects.toThrow(/bad.json: invalid configuration: rules.0.from/);
    await expect(resolveTariff('entsoe:PL', { ...deps, env: {} })).rejects.toThrow(/set ENTSOE_API_KEY/);
    await expect(resolveTariff('pse-rce', { readFile: deps.readFile })).rejects.toThrow(/network access/);
  });
});
