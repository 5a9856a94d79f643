import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { registerPlanCommand, parseReadyBy, type PlanCommandDeps } from '../../src/cli/plan.js';
import type { FetchLike } from '../../src/tariff/types.js';

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Runs `offpeak plan …` in-process; returns what it printed and its exit code (0 when it did not exit). */
async function run(args: string[], deps: Partial<PlanCommandDeps> = {}) {
  let stdout = '';
  let stderr = '';
  const program = new Command('offpeak');
  program.configureOutput({ writeOut: (s) => void (stdout += s), writeErr: (s) => void (stderr += s) });
  registerPlanCommand(program, {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    env: {},
    exit: (code: number) => {
      throw new Exit(code);
    },
    ...deps,
  });
  let code = 0;
  try {
    await program.parseAsync(['node', 'offpeak', 'plan', ...args]);
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    code = e.code;
  }
  return { stdout, stderr, code };
}

const common = ['--soc', '40', '--target', '80', '--capacity-kwh', '75', '--power-kw', '11', '--lat', '52.23', '--lon', '21.01'];
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/prices/${name}`, import.meta.url));

describe('offpeak plan', () => {
  it('prints windows, totals and schedules as JSON with UTC offsets of the home zone', async () => {
    const r = await run([...common, '--tariff', 'g12', '--at', '2026-03-28T18:00', '--ready-by', '07:00', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      timezone: 'Europe/Warsaw',
      tariff: 'g12',
      currency: 'PLN',
      mode: 'cheapest',
      at: '2026-03-28T18:00:00+01:00',
      ready_by: '2026-03-29T07:00:00+02:00',
      required_kwh: 30,
      windows: [{ start: '2026-03-28T22:00:00+01:00', end: '2026-03-29T00:44:00+01:00', kwh: 30, cost: 22.5 }],
      total_kwh: 30,
      total_cost: 22.5,
      shortfall_kwh: 0,
    });
    expect(out.schedules.map((s: { date: string; add_charge_schedule: { start_time: number; end_time: number } }) => [s.date, s.add_charge_schedule.start_time, s.add_charge_schedule.end_time])).toEqual([
      ['2026-03-28', 1320, 0],
      ['2026-03-29', 0, 44],
    ]);
    expect(out.schedules[0].add_charge_schedule).toMatchObject({ end_enabled: true, one_time: true, lat: 52.23, lon: 21.01 });
  });

  it('prints a short table by default, honours OFFPEAK_TIMEZONE and the continuous mode', async () => {
    const r = await run([...common, '--tariff', 'octopus-go', '--at', '2026-06-01T20:00:00+01:00', '--ready-by', '2026-06-02T08:00:00+01:00', '--mode', 'continuous'], {
      env: { OFFPEAK_TIMEZONE: 'Europe/London' },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('one continuous window');
    expect(r.stdout).toContain('2026-06-02 00:30 +01:00');
    expect(r.stdout).toMatch(/2026-06-02 Tuesday\s+00:30–03:14/);
    expect(r.stdout).toMatch(/total\s+30\.000\s+2\.55 GBP/);
  });

  it('reads a price file and says a hold schedule is kept when there is nothing to charge', async () => {
    const r = await run(
      ['--soc', '80', '--target', '80', '--capacity-kwh', '75', '--power-kw', '11', '--tariff', fixture('be-day-ahead-2023-10-16_2023-11-05.csv'), '--at', '2023-10-28T18:00:00+02:00', '--ready-by', '08:00'],
      { readFile: (p) => readFile(p, 'utf8') },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Nothing to charge.');
    expect(r.stdout).toContain('hold: keeps the car from charging at plug-in');
    expect(r.stderr).toContain('lat/lon 0,0');
  });

  it.each([
    [['--soc', 'lots'], /--soc must be a number from 0 to 100, e\.g\. --soc 40/],
    [['--soc', '140'], /--soc must be a number/],
    [['--mode', 'fastest'], /Allowed choices are cheapest, continuous/],
    [['--ready-by', 'tomorrow'], /--ready-by "tomorrow" is not a time: give ISO 8601/],
    [['--ready-by', '2026-03-28T17:00:00+01:00'], /--ready-by .* is not after --at/],
    [['--floor', '90'], /--floor 90 is above --target 80/],
    [['--tariff', 'g13'], /tariff "g13" is not known; use a preset \(g11, g12, g12w, octopus-go\)/],
    [['--tariff', '/nonexistent/prices.csv'], /cannot read tariff file "\/nonexistent\/prices.csv": ENOENT/],
    [['--tariff', 'entsoe:PL'], /needs an ENTSO-E API key: set ENTSOE_API_KEY/],
  ])('bad input %j → a clear message and exit code 2', async (patch, message) => {
    const args: Record<string, string> = { '--soc': '40', '--target': '80', '--capacity-kwh': '75', '--power-kw': '11', '--tariff': 'g12', '--at': '2026-03-28T18:00', '--ready-by': '07:00' };
    for (let i = 0; i < patch.length; i += 2) args[patch[i]!] = patch[i + 1]!;
    const r = await run(Object.entries(args).flat());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('a missing option and a bad OFFPEAK_TIMEZONE are usage errors too', async () => {
    const missing = await run(['--soc', '40', '--target', '80']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--ready-by <time>' not specified/);
    const tz = await run([...common, '--tariff', 'g12', '--ready-by', '07:00'], { env: { OFFPEAK_TIMEZONE: 'Europe/Warsw' } });
    expect(tz.code).toBe(2);
    expect(tz.stderr).toMatch(/OFFPEAK_TIMEZONE "Europe\/Warsw" is not an IANA time zone/);
  });

  it('a failing price source exits with 1 and mentions the fallback, never prints a plan', async () => {
    const down: FetchLike = async () => new Response('Service Unavailable', { status: 503 });
    const r = await run([...common, '--tariff', 'pse-rce', '--at', '2026-03-28T18:00', '--ready-by', '07:00'], { fetch: down });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/PSE rce-pln: HTTP 503/);
    expect(r.stderr).toMatch(/safe fallback plan/);
    expect(r.stdout).toBe('');
  });

  it('reads HH:MM as the next such local time', () => {
    const at = Date.parse('2026-10-24T23:30:00+02:00');
    expect(new Date(parseReadyBy('07:00', 'Europe/Warsaw', at)).toISOString()).toBe('2026-10-25T06:00:00.000Z');
    expect(new Date(parseReadyBy('23:45', 'Europe/Warsaw', at)).toISOString()).toBe('2026-10-24T21:45:00.000Z');
    expect(new Date(parseReadyBy('23:00', 'Europe/Warsaw', at)).toISOString()).toBe('2026-10-25T22:00:00.000Z');
  });
});
