// Types of what TypeScript tests import from services.mjs (plain Node, no build step).

export interface KafkaInstance {
  /** `127.0.0.1:<port>`, ready for KAFKA_BROKERS / kafkajs. */
  brokers: string[];
  pid: number | undefined;
  logFile: string;
  /** SIGKILL, then resolves when the process is gone: a crash, nothing flushed. */
  kill(): Promise<void>;
  /** SIGTERM, then resolves when the process is gone. */
  stop(): Promise<void>;
}

export function startKafkaInstance(options: {
  port: number;
  controllerPort: number;
  /** Holds server.properties, kafka.log and data/; reuse it to restart with the same data. */
  dataDir: string;
  heap?: string;
  timeoutMs?: number;
}): Promise<KafkaInstance>;

export function serviceEnv(): Record<string, string>;
