import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/core/log.js';

/** A real pino logger (with the production redaction) writing into memory, to assert on what gets logged. */
export function captureLogger(name = 'test'): { logger: Logger; lines: () => string[]; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger({ name, level: 'debug', pretty: false, destination });
  const text = () => chunks.join('');
  return { logger, text, lines: () => text().split('\n').filter(Boolean) };
}
