/** Tariff sources: one model (price slots over time), many origins. */
export * from './types.js';
export * from './errors.js';
export { TouTariff, parseTouConfig, touConfigSchema, DAY_TYPES, type DayType, type TouConfig, type TouRule } from './tou.js';
export { presetTariff, presetConfig, presetDescription, isPresetName, PRESET_NAMES, type PresetName, type PresetOverrides } from './presets.js';
export { SlotTariff, checkSlots, clipSlots } from './slot-tariff.js';
export { parsePriceCsv, parsePriceJson, pricesFromJsonValue, type ParsedPrices } from './price-file.js';
export { PseRceTariff, parsePseRce, PSE_DEFAULT_BASE_URL, type PseRceOptions } from './pse.js';
export { EntsoeDayAheadTariff, parseEntsoeDocument, BIDDING_ZONES, ENTSOE_DEFAULT_BASE_URL, type EntsoeOptions } from './entsoe.js';
export { polishHolidays, isPolishHoliday, easterSunday } from './holidays.js';
export { MemoryCallBudget, utcDay, type CallBudget } from './call-budget.js';
export * from './offpeak-api-errors.js';
export {
  OffPeakChargeClient,
  parseOffPeakAnswer,
  offPeakWindows,
  OFFPEAK_API_DAILY_LIMIT,
  ORIGINAL_REQUEST_DEFAULTS,
  type OffPeakAnswer,
  type OffPeakApiOptions,
  type OffPeakRequest,
  type OffPeakSlot,
} from './offpeak-api.js';
export { DEFAULT_TIME_ZONE, formatLocalIso, isValidTimeZone } from './local-time.js';
export { resolveTariff, TARIFF_CHOICES, type ResolveDeps } from './resolve.js';
