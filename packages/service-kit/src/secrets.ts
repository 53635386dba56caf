import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface ResolvedSecret {
  value: string;
  /** 'env' when configured, 'generated' when made now, 'stored' when read from an earlier start. */
  source: 'env' | 'generated' | 'stored';
}

/**
 * The single-process stack needs an API key and a signing secret even when none is configured:
 * one is generated once per data dir and kept in a 0600 file, so restarts keep issued tokens valid.
 * Services mode must configure them (several processes have to agree).
 */
export function resolveSecret(
  dataDir: string,
  name: 'api-key' | 'signing-secret',
  configured: string | undefined,
): ResolvedSecret {
  if (configured !== undefined) return { value: configured, source: 'env' };
  const file = path.join(dataDir, 'secrets', name);
  try {
    return { value: fs.readFileSync(file, 'utf8').trim(), source: 'stored' };
  } catch {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const value = `sl_${randomBytes(24).toString('base64url')}`;
    fs.writeFileSync(file, value, { mode: 0o600, flag: 'wx' });
    return { value, source: 'generated' };
  }
}

/** For services mode: a secret that must be configured, or a one-line start failure naming it. */
export function requireConfigured(value: string | undefined, variable: string): string {
  if (value === undefined) {
    throw new Error(
      `${variable} must be set when services run as separate processes (they have to agree on it)`,
    );
  }
  return value;
}
