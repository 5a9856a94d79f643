/**
 * `offpeak cost`: the monthly bill of the Google Cloud deployment (Scout function, Worker on Cloud Run, Cloud
 * Scheduler, Firestore, Secret Manager) and of the Tesla Fleet API, from the counters of a simulated month of
 * the real Scout tick and Worker token path (src/cost/simulate.ts), beside the always-on service the original
 * ran. Prices, free tiers and their sources: src/cost/prices.ts and docs/cost.md.
 *
 * Exit codes: 0 printed; 2 bad input.
 */
import { Command, InvalidArgumentError } from 'commander';
import { computeBill, DEFAULT_ASSUMPTIONS, formatBill, type Assumptions } from '../cost/bill.js';
import { PRICES } from '../cost/prices.js';
import { monthCounters, simulateMonth } from '../cost/simulate.js';

const numberArg = (name: string, min: number, max: number, integer = false) => (text: string) => {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return n;
};

export function registerCostCommand(program: Command): void {
  program
    .command('cost')
    .description('the monthly Google Cloud and Tesla API bill, from a simulated month of Scout ticks and Worker calls')
    .option('--cars <n>', 'cars on the Tesla account', numberArg('--cars', 1, 100, true), 1)
    .option('--days <n>', 'length of the simulated month', numberArg('--days', 1, 31, true), 30)
    .option('--cold-start-fraction <f>', 'share of calls that start a new instance (secret reads)', numberArg('--cold-start-fraction', 0, 1), DEFAULT_ASSUMPTIONS.coldStartFraction)
    .option('--worker-sec <s>', 'billed instance seconds per Worker request', numberArg('--worker-sec', 0.1, 300), DEFAULT_ASSUMPTIONS.workerBilledSecPerRequest)
    .option('--scout-sec <s>', 'billed instance seconds per Scout invocation', numberArg('--scout-sec', 0.1, 300), DEFAULT_ASSUMPTIONS.scoutBilledSecPerInvocation)
    .option('--baseline-vcpu <n>', 'vCPU of the always-on service compared against', numberArg('--baseline-vcpu', 0.08, 8), DEFAULT_ASSUMPTIONS.baselineVcpu)
    .option('--baseline-memory-gib <n>', 'memory of the always-on service', numberArg('--baseline-memory-gib', 0.125, 32), DEFAULT_ASSUMPTIONS.baselineMemoryGib)
    .option('--json', 'print JSON (counters, assumptions, bill, price sources)')
    .action(async (opts: { cars: number; days: number; coldStartFraction: number; workerSec: number; scoutSec: number; baselineVcpu: number; baselineMemoryGib: number; json?: boolean }) => {
      const month = await simulateMonth({ cars: opts.cars, days: opts.days });
      const assumptions: Assumptions = {
        ...DEFAULT_ASSUMPTIONS,
        coldStartFraction: opts.coldStartFraction,
        workerBilledSecPerRequest: opts.workerSec,
        scoutBilledSecPerInvocation: opts.scoutSec,
        baselineVcpu: opts.baselineVcpu,
        baselineMemoryGib: opts.baselineMemoryGib,
      };
      const bill = computeBill(monthCounters(month), assumptions);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ month, assumptions, bill, prices: PRICES }, null, 2)}\n`);
        return;
      }
      const t = month.tesla;
      const summary = [
        `simulated: ${month.days} days, ${month.cars} car(s), Scout every ${Math.round(1440 / month.ticksPerDay)} min`,
        `  Scout invocations ${month.scout.invocations} (${month.scout.ok} ok, ${month.scout.skipped} skipped; token from ${Object.entries(month.scout.bySource).map(([k, v]) => `${k} ${v}`).join(', ')})`,
        `  Worker requests ${month.worker.requests}: ${Object.entries(month.worker.byRoute).map(([k, v]) => `${k} ${v}`).join(', ')}`,
        `  Firestore reads ${month.firestore.total.reads}, writes ${month.firestore.total.writes}, deletes ${month.firestore.total.deletes} (busiest day ${month.firestore.maxDay.reads}/${month.firestore.maxDay.writes}/${month.firestore.maxDay.deletes})`,
        `  Tesla: ${t.refreshes} token refreshes (free), ${t.loginRequired} login_required; billed data ${t.billed.data}, commands ${t.billed.command}, wakes ${t.billed.wake}; free calls ${t.billed.free} (${Object.entries(t.byEndpoint).map(([k, v]) => `${k} ${v}`).join(', ')})`,
        '',
      ].join('\n');
      const unverified = Object.entries(PRICES).filter(([, v]) => !v.verified).map(([k]) => k);
      process.stdout.write(`${summary}${formatBill(bill, 'monthly bill (USD, Google Tier 1 regions; see docs/cost.md)')}\n`);
      if (unverified.length > 0) process.stdout.write(`figures not verified against their source: ${unverified.join(', ')}\n`);
    });
}
