/**
 * `offpeak target --percent 90 --by "Saturday 07:00"`: a one-off charge target, sent to the Worker
 * (POST /charge-targets), which plans for it once it is near. Times are home time (OFFPEAK_TIMEZONE).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Temporal } from 'temporal-polyfill';
import { bearerSecret, WorkerClient } from '../scout/worker-client.js';
import { fail, withEnv } from './common.js';

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** "Saturday 07:00" / "sat 7:00" (the next such moment), "07:00" (next), a local "2026-06-06T07:00", or ISO with offset. */
export function parseBy(text: string, now: number, timeZone: string): number | null {
  const t = text.trim();
  const here = Temporal.Instant.fromEpochMilliseconds(now).toZonedDateTimeISO(timeZone);
  const m = /^(?:([a-z]+)\s+)?(\d{1,2}):(\d{2})$/i.exec(t);
  if (m) {
    const [h, min] = [Number(m[2]), Number(m[3])];
    if (h > 23 || min > 59) return null;
    const day = m[1] ? WEEKDAYS.findIndex((d) => m[1]!.length >= 3 && d.startsWith(m[1]!.toLowerCase())) : -1;
    if (m[1] && day < 0) return null;
    for (let add = 0; add <= 7; add++) {
      const date = here.toPlainDate().add({ days: add });
      if (day >= 0 && date.dayOfWeek !== day + 1) continue;
      const at = date.toZonedDateTime({ timeZone, plainTime: new Temporal.PlainTime(h, min) }).epochMilliseconds;
      if (at > now) return at;
    }
    return null;
  }
  try {
    if (/(Z|[+-]\d{2}:?\d{2})$/i.test(t)) return Temporal.Instant.from(t).epochMilliseconds;
    return Temporal.PlainDateTime.from(t).toZonedDateTime(timeZone).epochMilliseconds;
  } catch {
    return null;
  }
}

async function localSecret(): Promise<string | null> {
  for (const path of ['.offpeak/worker-secret', '.offpeak/simulated/worker-secret']) {
    const text = await readFile(path, 'utf8').catch(() => null);
    if (text?.trim()) return text.trim();
  }
  return null;
}

export function registerTargetCommand(program: Command): void {
  program
    .command('target')
    .description('a one-off charge target, e.g. --percent 90 --by "Saturday 07:00" (home time); the Worker plans for it')
    .requiredOption('--percent <n>', 'wanted charge, 50-100')
    .requiredOption('--by <time>', '"Saturday 07:00", "07:00", 2026-06-06T07:00 (home time) or ISO with offset')
    .option('--vin <vin>', 'the car (needed when the account has several)')
    .option('--worker-url <url>', 'the Worker (default WORKER_SERVICE_URL, else http://127.0.0.1:PORT)')
    .option('--secret <secret>', 'the shared secret (default WORKER_SHARED_SECRET, else the one offpeak run generated)')
    .action((o: { percent: string; by: string; vin?: string; workerUrl?: string; secret?: string }) =>
      withEnv('target', async (env) => {
        const percent = Number(o.percent);
        if (!Number.isInteger(percent) || percent < 50 || percent > 100) fail('--percent must be a whole number from 50 to 100');
        const readyBy = parseBy(o.by, Date.now(), env.OFFPEAK_TIMEZONE);
        if (readyBy === null) fail(`--by "${o.by}" is not a time: give e.g. "Saturday 07:00", "07:00" or 2026-06-06T07:00 (read in ${env.OFFPEAK_TIMEZONE})`);
        const secret = o.secret ?? env.WORKER_SHARED_SECRET ?? (await localSecret());
        if (!secret) fail('no Worker secret: give --secret or set WORKER_SHARED_SECRET');
        const worker = new WorkerClient({ baseUrl: o.workerUrl ?? env.WORKER_SERVICE_URL ?? `http://127.0.0.1:${env.PORT}`, auth: bearerSecret(secret), timeoutMs: 10_000 });
        try {
          const answer = await worker.call('POST', '/charge-targets', { percent, ready_by: new Date(readyBy).toISOString(), ...(o.vin && { vin: o.vin }) });
          const when = Temporal.Instant.fromEpochMilliseconds(readyBy).toZonedDateTimeISO(env.OFFPEAK_TIMEZONE);
          process.stdout.write(`target set for ${String(answer.vin)}: ${percent}% by ${when.toPlainDateTime().toString().slice(0, 16)} (${env.OFFPEAK_TIMEZONE})\n`);
        } catch (error) {
          fail(error, 1);
        }
      }),
    );
}
