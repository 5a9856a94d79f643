/**
 * Turns a user's tariff choice into a Tariff: a preset name (g11, g12, g12w, octopus-go), a market source
 * (pse-rce, entsoe:ZONE), or a file (.csv prices, .json prices or a time-of-use configuration). File reading and
 * network access come in as functions, so this stays testable.
 */
import { basename, extname } from 'node:path';
import { EntsoeDayAheadTariff } from './entsoe.js';
import { TariffConfigError, TariffParseError } from './errors.js';
import { parsePriceCsv, pricesFromJsonValue } from './price-file.js';
import { isPresetName, presetTariff, PRESET_NAMES } from './presets.js';
import { PseRceTariff } from './pse.js';
import { SlotTariff } from './slot-tariff.js';
import { TouTariff, parseTouConfig } from './tou.js';
import type { FetchLike, Tariff } from './types.js';

export interface ResolveDeps {
  readFile(path: string): Promise<string>;
  fetch?: FetchLike;
  env?: Readonly<Record<string, string | undefined>>;
}

export const TARIFF_CHOICES = `a preset (${PRESET_NAMES.join(', ')}), pse-rce, entsoe:ZONE (needs ENTSOE_API_KEY), or a .csv/.json file`;

export async function resolveTariff(spec: string, deps: ResolveDeps): Promise<Tariff> {
  const name = spec.trim();
  const lower = name.toLowerCase();
  if (isPresetName(lower)) return presetTariff(lower);
  if (lower === 'pse-rce' || lower === 'pse') {
    if (!deps.fetch) throw new TariffConfigError('pse-rce needs network access, which is not available here');
    return new PseRceTariff({ fetch: deps.fetch });
  }
  if (lower.startsWith('entsoe:')) {
    const apiKey = deps.env?.ENTSOE_API_KEY;
    if (!apiKey) throw new TariffConfigError(`${name} needs an ENTSO-E API key: set ENTSOE_API_KEY`);
    if (!deps.fetch) throw new TariffConfigError(`${name} needs network access, which is not available here`);
    return new EntsoeDayAheadTariff({ fetch: deps.fetch, apiKey, zone: name.slice('entsoe:'.length) });
  }
  const ext = extname(name).toLowerCase();
  if (ext !== '.csv' && ext !== '.json') {
    throw new TariffConfigError(`tariff "${name}" is not known; use ${TARIFF_CHOICES}`);
  }
  let text: string;
  try {
    text = await deps.readFile(name);
  } catch (err) {
    throw new TariffConfigError(`cannot read tariff file "${name}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const label = basename(name);
  if (ext === '.csv') {
    const parsed = parsePriceCsv(text, label);
    return new SlotTariff(label, parsed.currency ?? '', parsed.slots);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TariffParseError(label, `not valid JSON (${(err as Error).message})`);
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && ('rules' in value || 'basePrice' in value)) {
    return new TouTariff(parseTouConfig(value, label));
  }
  const parsed = pricesFromJsonValue(value, label);
  return new SlotTariff(label, parsed.currency ?? '', parsed.slots);
}
