/**
 * Identifiers carried by every beacon. They must match the beacon schema's id pattern
 * (`^[A-Za-z0-9_.:-]+$`, ≤ 128 chars) or the collector rejects the beacon.
 */
const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
export const VIEWER_ID_KEY = 'streamloop:viewerId';

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** 128 random bits as hex. getRandomValues, not randomUUID: the latter needs a secure context. */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * The anonymous viewer id, kept per browser. Storage may be missing or throw (Safari private mode,
 * blocked cookies); then the id lives for this page only, which still counts the view correctly.
 */
export function loadViewerId(storage: KeyValueStorage | undefined): string {
  try {
    const stored = storage?.getItem(VIEWER_ID_KEY);
    if (isValidId(stored)) return stored;
    const created = randomId();
    storage?.setItem(VIEWER_ID_KEY, created);
    return created;
  } catch {
    return randomId();
  }
}
