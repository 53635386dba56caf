/**
 * Routes kafkajs's own logging into our pino logger (warn and above), never its default console
 * logger. `muted` silences it while the connection is being verified, so an unreachable broker ends
 * in one line from the composition root instead of kafkajs stack traces.
 */
import type { Logger } from '@streamloop/core/logger';
import { type logCreator, logLevel } from 'kafkajs';

export interface LogGate {
  muted: boolean;
}

export function createKafkaLogCreator(logger: Logger, gate: LogGate): logCreator {
  const log = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log: entry }) => {
      if (gate.muted) return;
      const { message, timestamp: _timestamp, ...fields } = entry;
      const context = { namespace, ...fields };
      if (level === logLevel.ERROR) log.error(context, message);
      else if (level === logLevel.WARN) log.warn(context, message);
    };
}
