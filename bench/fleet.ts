/**
 * bench:fleet — 30 simulated days of one commuting car (src/demo/scenarios.ts), the same days for offpeak's
 * Scout & Worker and for three baselines built here, all on the simulator's virtual clock and meter:
 *   A. a poller calling vehicle_data every 15 min (whatever the car's state: asleep → billed 408);
 *   B. the original system's Scout: the vehicle list, then two vehicle_data calls each tick while online;
 *   C. a 10-minute poller that checks the free state first, then one vehicle_data while online.
 * Every strategy plans with the same Worker cycle (so energy figures compare) and the same daily replan;
 * they differ in how they watch the car. Figures are deterministic (no real time, no randomness).
 */
import { placeOf, type Place } from '../src/charging/scout-machine.js';
import { runScenario, type RunSummary } from '../src/demo/run.js';
import { commutes } from '../src/demo/scenarios.js';
import { DAILY_REPLAN_AT, offpeakStrategy } from '../src/demo/strategy.js';
import type { Strategy, World } from '../src/demo/world.js';
import { presetTariff } from '../src/tariff/index.js';
import type { VehicleSnapshot } from '../src/tesla/vehicle-data.js';

const DAYS = Number(process.env.BENCH_FLEET_DAYS ?? 30);

/** A baseline: watch the car its own way; on a plug-in at home, run the same Worker cycle as offpeak. */
function poller(name: string, intervalMin: number, look: (world: World, token: string) => Promise<VehicleSnapshot | null>): Strategy {
  let place: Place = 'unknown';
  return {
    name,
    intervalMin,
    async tick(world, now) {
      const token = (await world.broker.getAccessToken('default')).accessToken;
      const snap = await look(world, token);
      if (snap) {
        const next = placeOf(snap, world.charging.deps.config.home);
        if (next === 'home_plugged' && place !== 'home_plugged') await world.charging.runCycle(world.vin, 'plugged_in_home');
        // Unplugging is told too (it costs no Tesla call), so the daily replan does not chase a car that left.
        if (next === 'home_unplugged' && place === 'home_plugged') await world.charging.runCycle(world.vin, 'unplugged_home');
        if (next !== 'unknown') place = next;
      }
      if (world.hhmm(now) === DAILY_REPLAN_AT) await world.charging.dailyReplan();
    },
  };
}

const readOrNull = (world: World, token: string) => world.scout.fleet.vehicleSnapshot(token, world.vin).catch(() => null);

const baselines = (): Strategy[] => [
  poller('A: vehicle_data every 15 min', 15, (w, t) => readOrNull(w, t)),
  poller("B: original Scout (list + 2× vehicle_data while online)", 15, async (w, t) => {
    const [v] = await w.scout.fleet.listVehicles(t);
    if (v?.state !== 'online') return null;
    await readOrNull(w, t);
    return readOrNull(w, t);
  }),
  poller('C: 10-min poller, free state first', 10, async (w, t) => {
    const [v] = await w.scout.fleet.listVehicles(t);
    return v?.state === 'online' ? readOrNull(w, t) : null;
  }),
];

const pad = (s: string, n: number) => s.padEnd(n);
const num = (x: number | null, digits = 0) => (x === null ? '—' : x.toFixed(digits));

function table(rows: RunSummary[]): string {
  const head = ['strategy', 'data', 'command', 'wake', '$/veh-month', 'wakes', 'awake h', 'delay p50', 'delay p95', 'energy cost'];
  const widths = [56, 7, 9, 6, 13, 7, 9, 11, 11, 14];
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? pad(c, widths[i]!) : c.padStart(widths[i]!))).join('');
  const out = [line(head), '-'.repeat(widths.reduce((a, b) => a + b, 0))];
  for (const r of rows) {
    const missed = r.planDelaysMin.filter((d) => d === null).length;
    out.push(
      line([
        r.strategy,
        String(r.calls.data),
        String(r.calls.command),
        String(r.calls.wake),
        `$${r.usdPerVehicleMonth.toFixed(2)}`,
        String(r.wakes),
        num(r.awakeHours, 1),
        `${num(r.delayP50Min)} min`,
        `${num(r.delayP95Min)} min${missed ? ` (${missed} missed)` : ''}`,
        `${r.cost.toFixed(2)} ${r.currency}`,
      ]),
    );
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const tariff = presetTariff('g12');
  const scenario = commutes(DAYS);
  const started = performance.now();
  const rows: RunSummary[] = [];
  for (const strategy of [offpeakStrategy, ...baselines()]) {
    rows.push(await runScenario(scenario, tariff, strategy));
    process.stderr.write(`  ${strategy.name}: done\n`);
  }
  const ours = rows[0]!;
  process.stdout.write(
    [
      `bench:fleet — ${DAYS} simulated days, one commuting car (${scenario.events.filter((e) => e.action.do === 'plug').length} plug-ins), tariff ${tariff.name}, Tesla prices of TESLA.md`,
      '',
      table(rows),
      '',
      `charging at once on plug-in would have cost ${ours.immediateCost.toFixed(2)} ${ours.currency} for the same ${ours.kwh.toFixed(1)} kWh (offpeak: ${ours.cost.toFixed(2)})`,
      `goals for offpeak: ≤ $0.50/vehicle-month → $${ours.usdPerVehicleMonth.toFixed(2)} ${ours.usdPerVehicleMonth <= 0.5 ? 'met' : 'NOT MET'}; ` +
        `no wake by the Scout → ${ours.wakes} wake(s) in total; plan in car p95 ≤ 15 min → ${num(ours.delayP95Min)} min ${ours.delayP95Min !== null && ours.delayP95Min <= 15 ? 'met' : 'NOT MET'}`,
      `(${((performance.now() - started) / 1000).toFixed(1)} s of real time)`,
      '',
    ].join('\n'),
  );
}

await main();
