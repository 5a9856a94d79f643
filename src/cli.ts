#!/usr/bin/env node
import { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Each command lives in its own module and is imported only when it runs, so that a short-lived command such
 * as `offpeak scout` does not pay for loading the Worker's HTTP server or the simulator.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  run: async () => (await import('./cli/run.js')).registerRunCommand,
  worker: async () => (await import('./cli/worker.js')).registerWorkerCommand,
  scout: async () => (await import('./cli/scout.js')).registerScoutCommand,
  sim: async () => (await import('./sim/index.js')).registerSimCommand,
  'check-tokens': async () => (await import('./cli/check.js')).registerCheckCommand,
  tokens: async () => (await import('./cli/tokens.js')).registerTokensCommand,
  plan: async () => (await import('./cli/plan.js')).registerPlanCommand,
  demo: async () => (await import('./cli/demo.js')).registerDemoCommand,
  target: async () => (await import('./cli/target.js')).registerTargetCommand,
  cost: async () => (await import('./cli/cost.js')).registerCostCommand,
};

const program = new Command('offpeak')
  .description('Tesla off-peak charging controller: a Scout & Worker pair with one owner of the Tesla tokens')
  .version('0.1.0')
  .showHelpAfterError();

const requested = process.argv[2];
const names = requested && requested in COMMANDS ? [requested] : Object.keys(COMMANDS);
for (const name of names) (await COMMANDS[name]!())(program);

await program.parseAsync(process.argv);
