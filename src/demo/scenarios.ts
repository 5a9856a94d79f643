/**
 * Scenario scripts: a car's life as events at home-time moments. Shared by `offpeak demo`, the tests and
 * `npm run bench:fleet`, so all three show the same days.
 */
export const HOME = { lat: 52.2297, lon: 21.0122 };
export const WORK = { lat: 52.4064, lon: 21.3 };
export const FAR = { lat: 54.35, lon: 18.65 };

export type ScenarioAction =
  | { do: 'plug' }
  | { do: 'unplug' }
  /** Drive to a place, using this many percent of charge. */
  | { do: 'drive'; to: { lat: number; lon: number }; label: string; usePercent: number }
  | { do: 'target'; percent: number; readyBy: { day: number; at: string } };

export interface ScenarioEvent {
  /** Day index from the scenario's first day (0 = first day). */
  day: number;
  /** Home-time "HH:MM". */
  at: string;
  action: ScenarioAction;
}

export interface Scenario {
  name: string;
  description: string;
  /** Local date of day 0 (YYYY-MM-DD), a Monday for the built-in ones. */
  startDate: string;
  days: number;
  car: { battery_level: number; charge_limit_soc: number; plugged_in: boolean };
  events: ScenarioEvent[];
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** A commuter: weekdays to work and back, plugged in on return at a time that varies from day to day. */
export function commutes(days: number, startDate = '2026-03-02'): Scenario {
  const events: ScenarioEvent[] = [];
  for (let day = 0; day < days; day++) {
    const weekday = day % 7; // day 0 is a Monday
    if (weekday < 5) {
      const back = 17 * 60 + ((day * 37) % 90); // 17:00-18:29
      events.push(
        { day, at: '07:30', action: { do: 'unplug' } },
        { day, at: '07:31', action: { do: 'drive', to: WORK, label: 'work', usePercent: 7 } },
        { day, at: hhmm(back), action: { do: 'drive', to: HOME, label: 'home', usePercent: 7 } },
        { day, at: hhmm(back + 4 + ((day * 13) % 20)), action: { do: 'plug' } },
      );
    } else if (weekday === 5) {
      events.push(
        { day, at: '10:00', action: { do: 'unplug' } },
        { day, at: '10:01', action: { do: 'drive', to: WORK, label: 'shops', usePercent: 5 } },
        { day, at: '12:30', action: { do: 'drive', to: HOME, label: 'home', usePercent: 5 } },
        { day, at: '12:40', action: { do: 'plug' } },
      );
    }
  }
  return { name: 'commutes', description: `${days} days of commuting (weekdays to work, Saturday shopping)`, startDate, days, car: { battery_level: 60, charge_limit_soc: 80, plugged_in: false }, events };
}

/** A weekend trip: on Wednesday the owner asks for 100 % by Saturday 08:00, leaves, comes back on Sunday. */
export function weekendTrip(startDate = '2026-03-02'): Scenario {
  const base = commutes(5, startDate).events;
  return {
    name: 'weekend-trip',
    description: 'a working week, then a trip: 100 % by Saturday 08:00, back on Sunday evening',
    startDate,
    days: 7,
    car: { battery_level: 60, charge_limit_soc: 80, plugged_in: true },
    events: [
      ...base,
      { day: 2, at: '20:00', action: { do: 'target', percent: 100, readyBy: { day: 5, at: '08:00' } } },
      { day: 5, at: '08:30', action: { do: 'unplug' } },
      { day: 5, at: '08:31', action: { do: 'drive', to: FAR, label: 'the seaside', usePercent: 45 } },
      { day: 6, at: '17:00', action: { do: 'drive', to: HOME, label: 'home', usePercent: 40 } },
      { day: 6, at: '17:10', action: { do: 'plug' } },
    ],
  };
}

/** A car that stays plugged in at home for days (holidays): it must not charge at peak nor be kept awake. */
export function pluggedForDays(days = 5, startDate = '2026-03-02'): Scenario {
  return {
    name: 'plugged-for-days',
    description: `a car plugged in at home for ${days} days, starting low`,
    startDate,
    days,
    car: { battery_level: 35, charge_limit_soc: 80, plugged_in: false },
    events: [{ day: 0, at: '18:00', action: { do: 'plug' } }],
  };
}

export const SCENARIOS: Record<string, () => Scenario> = {
  week: () => commutes(7),
  'weekend-trip': () => weekendTrip(),
  'plugged-for-days': () => pluggedForDays(),
};
