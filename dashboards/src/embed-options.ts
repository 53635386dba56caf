/**
 * The `/embed/:id` query options, checked before the page is built: a misspelt option or value is
 * refused with its reason (400) instead of silently ignored, so the site owner sees the mistake.
 */
export interface EmbedOptions {
  /** Starts on its own, muted (browsers refuse unmuted autoplay). */
  autoplay: boolean;
  /** Seconds into the video to start at. */
  start: number;
  loop: boolean;
  controls: boolean;
}

export type EmbedOptionsResult = { ok: true; options: EmbedOptions } | { ok: false; reason: string };

const BOOLEANS: Record<string, boolean> = { '1': true, true: true, '0': false, false: false };
const FLAGS = ['autoplay', 'loop', 'controls'] as const;
const DEFAULTS: EmbedOptions = { autoplay: false, start: 0, loop: false, controls: true };

export function parseEmbedOptions(query: Record<string, unknown>): EmbedOptionsResult {
  const options = { ...DEFAULTS };
  for (const [name, raw] of Object.entries(query)) {
    if (typeof raw !== 'string') return { ok: false, reason: `${name} is given more than once` };
    if (name === 'start') {
      if (!/^\d+(\.\d+)?$/.test(raw)) {
        return { ok: false, reason: `start must be a number of seconds ≥ 0, not "${raw}"` };
      }
      options.start = Number(raw);
    } else if ((FLAGS as readonly string[]).includes(name)) {
      const value = Object.hasOwn(BOOLEANS, raw) ? BOOLEANS[raw] : undefined;
      if (value === undefined)
        return { ok: false, reason: `${name} must be 1, 0, true or false, not "${raw}"` };
      options[name as (typeof FLAGS)[number]] = value;
    } else {
      return { ok: false, reason: `unknown option ${name} (known: autoplay, start, loop, controls)` };
    }
  }
  return { ok: true, options };
}
