/** How the pages write numbers. Pure, shared by every page. */

export const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

export const formatMs = (ms: number): string => `${integer.format(ms)} ms`;
export const formatRatio = (ratio: number): string => `${(ratio * 100).toFixed(2)} %`;
export const formatKbps = (kbps: number): string =>
  kbps >= 1000 ? `${(kbps / 1000).toFixed(2)} Mbit/s` : `${integer.format(kbps)} kbit/s`;

/** `value` formatted, or '—' when the API has no number (null: no plays to compute it from). */
export function orDash<T>(value: T | null | undefined, format: (v: T) => string): string {
  return value === null || value === undefined ? '—' : format(value);
}

/** A size in bytes as kB below a megabyte, MB above (decimal units, as storage is billed). */
export function formatBytes(bytes: number): string {
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

/** How long ago, from seconds: "just now", "12 min ago", "3 h 05 min ago", "2 d ago". */
export function formatAge(seconds: number): string {
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min ago`;
  return `${Math.floor(hours / 24)} d ago`;
}
