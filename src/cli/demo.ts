import type { Command } from 'commander';
import { fail } from './common.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('(not implemented yet) days of simulated charging on a virtual clock')
    .action(() => fail('"offpeak demo" is not implemented in this version: it arrives with the charging planner. Try "offpeak run".', 1));
}
