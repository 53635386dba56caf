import {
  type Logger as ClickHouseLogger,
  ClickHouseLogLevel,
  type ErrorLogParams,
  type WarnLogParams,
} from '@clickhouse/client';
import type { Logger } from '@streamloop/core/logger';

export type StoreLogger = Pick<Logger, 'warn' | 'error'>;

/** Routes @clickhouse/client's own warnings and errors into our structured log instead of the console. */
export function clientLog(logger: StoreLogger): {
  LoggerClass: new () => ClickHouseLogger;
  level: ClickHouseLogLevel;
} {
  class StructuredLogger implements ClickHouseLogger {
    trace(): void {}
    debug(): void {}
    info(): void {}
    warn({ module, message, args, err }: WarnLogParams): void {
      logger.warn({ module, args, err: err?.message }, message);
    }
    error({ module, message, args, err }: ErrorLogParams): void {
      logger.error({ module, args, err: err.message }, message);
    }
  }
  return { LoggerClass: StructuredLogger, level: ClickHouseLogLevel.WARN };
}
