/**
 * Presets for common household tariffs. The HOURS follow the published tariff rules (sources in docs/tariffs.md);
 * the PRICES are illustrative defaults of the right order of magnitude (gross, energy + variable distribution,
 * per kWh) and are NOT anyone's real price: users override them with the figures on their own bill. For planning
 * only the ordering of prices matters, but the reported costs use these numbers.
 *
 * Polish G-tariffs: hours of PGE Dystrybucja, Enea Operator, Energa-Operator and Stoen/E.ON as summarised in
 * docs/tariffs.md (Tauron and G12r use 13-16 and 22-7). Their zones are the same all year, so the presets carry no
 * seasons; a rule's `season` field exists for tariffs that do change (example in docs/tariffs.md).
 */
import { TariffConfigError } from './errors.js';
import { TouTariff, type TouConfig } from './tou.js';

export interface PresetOverrides {
  /** Price outside the cheap zone (for G11: the only price). */
  peak?: number;
  /** Price inside the cheap zone. */
  offPeak?: number;
  /** The tariff's clock. Defaults to the country's zone; override only for a meter that keeps another clock. */
  timeZone?: string;
}

interface Preset {
  description: string;
  build(o: Required<Omit<PresetOverrides, 'timeZone'>> & { timeZone: string }): TouConfig;
  defaults: { peak: number; offPeak: number; timeZone: string };
}

const PRESETS = {
  /** G11: one price around the clock. */
  g11: {
    description: 'Poland G11: one zone, same price all day',
    defaults: { peak: 1.1, offPeak: 1.1, timeZone: 'Europe/Warsaw' },
    build: (o) => ({ name: 'g11', currency: 'PLN', timeZone: o.timeZone, basePrice: o.peak, rules: [] }),
  },
  /** G12: off-peak 22:00-06:00 and 13:00-15:00 every day. */
  g12: {
    description: 'Poland G12: off-peak 22:00-06:00 and 13:00-15:00 every day',
    defaults: { peak: 1.3, offPeak: 0.75, timeZone: 'Europe/Warsaw' },
    build: (o) => ({
      name: 'g12',
      currency: 'PLN',
      timeZone: o.timeZone,
      basePrice: o.peak,
      rules: [
        { label: 'night', from: '22:00', to: '06:00', price: o.offPeak },
        { label: 'afternoon', from: '13:00', to: '15:00', price: o.offPeak },
      ],
    }),
  },
  /** G12w: as G12 on working days, plus all of Saturday, Sunday and public holidays. */
  g12w: {
    description: 'Poland G12w: off-peak 22:00-06:00 and 13:00-15:00 on weekdays, all day on weekends and holidays',
    defaults: { peak: 1.35, offPeak: 0.78, timeZone: 'Europe/Warsaw' },
    build: (o) => ({
      name: 'g12w',
      currency: 'PLN',
      timeZone: o.timeZone,
      basePrice: o.peak,
      holidays: 'PL',
      rules: [
        { label: 'weekend and holidays', from: '00:00', to: '24:00', price: o.offPeak, days: ['weekend', 'holiday'] },
        { label: 'night', from: '22:00', to: '06:00', price: o.offPeak },
        { label: 'afternoon', from: '13:00', to: '15:00', price: o.offPeak },
      ],
    }),
  },
  /** UK Octopus Go style: one cheap window 00:30-05:30 UK wall-clock time, every day (check the current window). */
  'octopus-go': {
    description: 'UK Octopus Go style: off-peak 00:30-05:30 UK time every day',
    defaults: { peak: 0.27, offPeak: 0.085, timeZone: 'Europe/London' },
    build: (o) => ({
      name: 'octopus-go',
      currency: 'GBP',
      timeZone: o.timeZone,
      basePrice: o.peak,
      rules: [{ label: 'off-peak', from: '00:30', to: '05:30', price: o.offPeak }],
    }),
  },
} satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(name: string): name is PresetName {
  return Object.prototype.hasOwnProperty.call(PRESETS, name);
}

export function presetDescription(name: PresetName): string {
  return PRESETS[name].description;
}

/** The configuration of a preset with overrides applied: a starting point users can save and edit. */
export function presetConfig(name: string, overrides: PresetOverrides = {}): TouConfig {
  const key = name.toLowerCase();
  if (!isPresetName(key)) {
    throw new TariffConfigError(`unknown tariff preset "${name}"; known presets: ${PRESET_NAMES.join(', ')}`);
  }
  const preset: Preset = PRESETS[key];
  return preset.build({
    peak: overrides.peak ?? preset.defaults.peak,
    offPeak: overrides.offPeak ?? preset.defaults.offPeak,
    timeZone: overrides.timeZone ?? preset.defaults.timeZone,
  });
}

export function presetTariff(name: string, overrides: PresetOverrides = {}): TouTariff {
  return new TouTariff(presetConfig(name, overrides));
}
