import { windowsToSchedules } from '../../../src/planner/schedules.ts';
import { repeatedWallRange } from '../../../src/tariff/local-time.ts';
const from = Date.parse('2026-01-01T00:00:00Z');
for (const [tz, m] of [['Europe/Warsaw', 427740], ['Australia/Lord_Howe', 134820]] as const) {
  const w = { start: from + m * 60000, end: from + (m + 1) * 60000 };
  console.log(tz, new Date(w.start).toISOString(), repeatedWallRange(w.start, tz), repeatedWallRange(w.end - 1, tz));
  console.log(JSON.stringify(windowsToSchedules([w], { timeZone: tz, lat: 0, lon: 0 })));
}
