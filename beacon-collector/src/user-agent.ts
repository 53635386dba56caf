/**
 * Browser, OS and device class from the User-Agent header, parsed on the server so every producer
 * classifies the same way (ua-parser-js 1.x: MIT; 2.x changed to AGPL and must not be used).
 * Parsing costs tens of microseconds; players send the same header again and again, so results are
 * kept in a small bounded cache.
 */
import type { BeaconContext, DeviceClass } from '@streamloop/core/schemas/beacon-envelope';
import { UAParser } from 'ua-parser-js';

export type UserAgentContext = Pick<BeaconContext, 'browser' | 'browserVersion' | 'os' | 'deviceClass'>;

// ua-parser-js device.type → our classes; an absent type is a desktop browser.
const DEVICE_CLASSES: Record<string, DeviceClass> = {
  mobile: 'mobile',
  tablet: 'tablet',
  smarttv: 'tv',
  console: 'console',
  wearable: 'mobile',
  embedded: 'other',
  xr: 'other',
};

// Crawlers announce themselves; ua-parser-js 1.x does not classify them.
const BOT = /bot\b|bot\/|crawler|spider|slurp|facebookexternalhit|bingpreview/i;

export function parseUserAgent(header: string | undefined): UserAgentContext {
  if (header === undefined || header === '') return {};
  const result = new UAParser(header).getResult();
  const context: UserAgentContext = {};
  if (result.browser.name) context.browser = result.browser.name;
  if (result.browser.version) context.browserVersion = result.browser.version;
  if (result.os.name)
    context.os = result.os.version ? `${result.os.name} ${result.os.version}` : result.os.name;
  if (BOT.test(header)) context.deviceClass = 'bot';
  else if (result.device.type === undefined) context.deviceClass = result.os.name ? 'desktop' : 'other';
  else context.deviceClass = DEVICE_CLASSES[result.device.type] ?? 'other';
  return context;
}

/** parseUserAgent behind a bounded cache (oldest entry evicted first). */
export function createUserAgentParser(maxEntries = 1000): (header: string | undefined) => UserAgentContext {
  const cache = new Map<string, UserAgentContext>();
  return (header) => {
    if (header === undefined) return {};
    // A header longer than any real browser's is parsed but never cached: it cannot repeat usefully.
    const key = header.length <= 512 ? header : undefined;
    const hit = key === undefined ? undefined : cache.get(key);
    if (hit !== undefined) return hit;
    const parsed = parseUserAgent(header.slice(0, 1024));
    if (key !== undefined) {
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
      cache.set(key, parsed);
    }
    return parsed;
  };
}
