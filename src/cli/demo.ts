/**
 * `offpeak demo`: the simulator on a virtual clock, days of a car's life in seconds, with a readable timeline
 * (plug-ins, plans, schedules written, charging, Tesla calls per day) and totals. Nothing reaches Tesla.
 */
import { Command, Option } from 'commander';
import { Temporal } from 'temporal-polyfill';
import { runScenario, type RunSummary } from '../demo/run.js';
import { commutes, SCENARIOS } from '../demo/scenarios.js';
import { offpeakStrategy } from '../demo/strategy.js';
import { isPresetName, presetTariff } from '../tariff/index.js';
import { fail } from './common.js';

const TZ = 'Europe/Warsaw';

function stamp(t: number): string {
  const z = Temporal.Instant.fromEpochMilliseconds(t).toZonedDateTimeISO(TZ);
  return `${z.toLocaleString('en-GB', { weekday: 'short' })} ${z.toPlainDate().toString().slice(5)} ${String(z.hour).padStart(2, '0')}:${String(z.minute).padStart(2, '0')}`;
}

export function formatSummary(s: RunSummary, withTimeline = true): string {
  const lines: string[] = [];
  if (withTimeline) {
    lines.push(`offpeak demo — ${s.scenario}: ${s.days} simulated days, home time ${TZ}`, '');
    for (const e of s.timeline) lines.push(`${stamp(e.at)}  ${e.kind === 'calls' ? '   ' : ''}${e.text}`);
    lines.push('');
  }
  const saved = s.immediateCost > 0 ? ` (${Math.round((1 - s.cost / s.immediateCost) * 100)}% less)` : '';
  const delays = s.planDelaysMin.map((d) => (d === null ? 'never' : `${Math.round(d)}`)).join(', ');
  lines.push(
    'Totals',
    `  energy charged        ${s.kwh.toFixed(1)} kWh`,
    `  its cost              ${s.cost.toFixed(2)} ${s.currency}, against ${s.immediateCost.toFixed(2)} ${s.currency} charging at once on plug-in${saved}`,
    `  Tesla API calls       ${s.calls.data} data, ${s.calls.command} command, ${s.calls.wake} wake, ${s.calls.free} free`,
    `  Tesla API spend       $${s.usd.toFixed(3)} (≈ $${s.usdPerVehicleMonth.toFixed(2)} per vehicle-month)`,
    `  wakes                 ${s.wakes}`,
    `  car awake             ${s.awakeHours.toFixed(1)} h`,
    `  plug-in → plan in car ${delays || '—'} min`,
  );
  return `${lines.join('\n')}\n`;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('days of simulated charging on a virtual clock, printed as a timeline with totals (nothing reaches Tesla)')
    .addOption(new Option('--scenario <name>', 'what the car does').choices(Object.keys(SCENARIOS)).default('week'))
    .option('--days <n>', 'days of commuting (scenario "week" only)')
    .option('--tariff <preset>', 'tariff preset (g11, g12, g12w, …)', 'g12')
    .action(async (o: { scenario: string; days?: string; tariff: string }) => {
      if (!isPresetName(o.tariff.toLowerCase())) fail(`--tariff ${o.tariff}: the demo takes a preset name (e.g. g12)`);
      const days = o.days === undefined ? undefined : Number(o.days);
      if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 60)) fail('--days must be a whole number from 1 to 60');
      const scenario = o.scenario === 'week' && days ? commutes(days) : SCENARIOS[o.scenario]!();
      const summary = await runScenario(scenario, presetTariff(o.tariff.toLowerCase()), offpeakStrategy);
      process.stdout.write(formatSummary(summary));
    });
}
