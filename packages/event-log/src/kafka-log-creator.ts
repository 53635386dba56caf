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

/**
 * kafkajs logs every protocol error response at error level, including REBALANCE_IN_PROGRESS on the
 * heartbeats of a perfectly normal rebalance; its Runner already reports that once as a warning.
 */
const ROUTINE_PROTOCOL_ERRORS = ['The group is rebalancing, so a rejoin is needed'];

export function createKafkaLogCreator(logger: Logger, gate: LogGate): logCreator {
  const log = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log: entry }) => {
      if (gate.muted) return;
      const { message, timestamp: _timestamp, ...fields } = entry;
      if (namespace === 'Connection' && ROUTINE_PROTOCOL_ERRORS.includes(String(fields.error))) return;
      const context = { namespace, ...fields };
      if (level === logLevel.ERROR) log.error(context, message);
      else if (level === logLevel.WARN) log.warn(context, message);
    };
}
