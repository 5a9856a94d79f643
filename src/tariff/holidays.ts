/**
 * Polish public holidays (dni ustawowo wolne od pracy, ustawa z 18 stycznia 1951 r., as amended), for tariffs such
 * as G12w whose cheap zone covers "weekends and holidays". Fixed dates plus the movable feasts that follow Easter.
 * 24 December is a holiday from 2025 on (amendment of 2024).
 */
import { Temporal } from 'temporal-polyfill';

/**
 * Easter Sunday in the Gregorian calendar: the "anonymous Gregorian" computus (Meeus/Jones/Butcher), written
 * out from its published arithmetic.
 */
export function easterSunday(year: number): Temporal.PlainDate {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return Temporal.PlainDate.from({ year, month, day });
}

const FIXED: ReadonlyArray<readonly [number, number]> = [
  [1, 1], // Nowy Rok
  [1, 6], // Trzech Króli
  [5, 1], // Święto Pracy
  [5, 3], // Święto Konstytucji 3 Maja
  [8, 15], // Wniebowzięcie NMP
  [11, 1], // Wszystkich Świętych
  [11, 11], // Święto Niepodległości
  [12, 25], // Boże Narodzenie
  [12, 26], // drugi dzień Bożego Narodzenia
];

const cache = new Map<number, ReadonlySet<string>>();

/** ISO dates (YYYY-MM-DD) of the Polish public holidays of a year. */
export function polishHolidays(year: number): ReadonlySet<string> {
  const hit = cache.get(year);
  if (hit) return hit;
  const days = FIXED.map(([month, day]) => Temporal.PlainDate.from({ year, month, day }));
  if (year >= 2025) days.push(Temporal.PlainDate.from({ year, month: 12, day: 24 })); // Wigilia
  const easter = easterSunday(year);
  days.push(easter, easter.add({ days: 1 }), easter.add({ days: 49 }), easter.add({ days: 60 })); // + Pentecost, Corpus Christi
  const set = new Set(days.map((d) => d.toString()));
  cache.set(year, set);
  return set;
}

export function isPolishHoliday(date: Temporal.PlainDate): boolean {
  return polishHolidays(date.year).has(date.toString());
}
