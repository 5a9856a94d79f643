import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('./fixtures/store-race.ts', import.meta.url));

export interface Child {
  process: ChildProcess;
  /** Resolves with the first stdout line equal to `text`. */
  waitFor(text: string): Promise<void>;
  /** Resolves with the parsed last stdout line once the child exited with 0; rejects otherwise. */
  result<T>(): Promise<T>;
}

/** Starts the race fixture under tsx. The key travels in the environment, not argv (visible in `ps`). */
export function startChild(args: string[], key: string): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], {
    env: { ...process.env, TOKEN_ENCRYPTION_KEY: key },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { text: string; resolve: () => void }[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.filter((w) => w.text === line)) w.resolve();
  });
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  return {
    process: child,
    waitFor: (text) =>
      lines.includes(text)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiters.push({ text, resolve })),
            exited.then(([code]) => {
              throw new Error(`child exited (${code}) before "${text}": ${stderr}`);
            }),
          ]),
    result: async <T>() => {
      const [code, signal] = await exited;
      if (code !== 0) throw new Error(`child failed (${code ?? signal}): ${stderr}`);
      return JSON.parse(lines.at(-1)!) as T;
    },
  };
}

/** Starts children, waits until all are ready, then releases them together. */
export async function race(argsList: string[][], key: string): Promise<Child[]> {
  const children = argsList.map((args) => startChild(args, key));
  try {
    await Promise.all(children.map((c) => c.waitFor('ready')));
  } catch (err) {
    for (const c of children) c.process.kill('SIGKILL');
    throw err;
  }
  for (const c of children) c.process.stdin!.end('go\n');
  return children;
}
