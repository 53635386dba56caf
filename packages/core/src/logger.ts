import { type Logger, pino } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/**
 * Structured JSON logs (pino). Secrets never reach a log line: credentials in headers,
 * connection strings and playback tokens are redacted at the source.
 */
export function createLogger(options: {
  name: string;
  level: LogLevel;
  destination?: NodeJS.WritableStream;
}): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          '*.password',
          '*.secretAccessKey',
          '*.signingSecret',
          '*.apiKey',
          'token',
        ],
        censor: '[redacted]',
      },
    },
    options.destination ?? process.stdout,
  );
}

/** Removes credentials from a connection URL before it is logged or printed. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    url.searchParams.delete('token');
    return url.toString();
  } catch {
    return raw;
  }
}
