import { runScoutTick } from '../scout/tick.js';
import type { Strategy } from './world.js';

/** The daily replan time (home time): after the day-ahead auction results are published (~12:45 CET). */
export const DAILY_REPLAN_AT = '13:15';

/** offpeak itself: the Scout every 15 minutes, and the Worker's daily replan. */
export const offpeakStrategy: Strategy = {
  name: 'offpeak (Scout & Worker)',
  intervalMin: 15,
  async tick(world, now) {
    await runScoutTick(world.scout);
    if (world.hhmm(now) === DAILY_REPLAN_AT) await world.charging.dailyReplan();
  },
};
