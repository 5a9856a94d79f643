import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/core/log.js';

/** A fresh directory per test under the OS temp dir; `remove` deletes it. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'offpeak-store-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export const randomKey = (): Buffer => randomBytes(32);

/** Every file below `dir` (recursively) with its raw bytes. */
export async function allFiles(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(path, await readFile(path));
  }
  return out;
}

export interface LogLine {
  level: string;
  obj: unknown;
  msg: string | undefined;
}

/** A Logger that records calls, for asserting what was (not) logged. */
export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (obj: unknown, msg?: string): void => {
      lines.push({ level, obj, msg: typeof obj === 'string' ? obj : msg });
    };
  const logger = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: () => logger,
  };
  return { logger: logger as unknown as Logger, lines };
}
