/**
 * What every infrastructure port shares, so the composition root can log which adapter it picked,
 * `/readyz` can name a failing dependency, and shutdown can close everything in order.
 */
export interface AdapterInfo {
  /** The port: 'object-store', 'event-log', 'catalog', 'analytics-store', 'feature-store'. */
  port: string;
  /** 'embedded' for the in-process default, 'real' for a configured service. */
  kind: 'embedded' | 'real';
  /** Human name of the backing service: 'Kafka', 'S3', 'PostgreSQL', 'PGlite', 'chdb', ... */
  service: string;
  /** Where it is, with credentials removed: '127.0.0.1:19092', '/data/objects', 'in-process'. */
  target: string;
}

export interface Port {
  readonly adapter: AdapterInfo;
  /** Resolves when the backing service answers; rejects with a one-line reason otherwise. */
  ping(): Promise<void>;
  /** Releases connections and handles; idempotent. */
  close(): Promise<void>;
}
