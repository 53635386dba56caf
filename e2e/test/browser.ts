import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@streamloop/core/testing';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium, headless; never a downloaded browser. Flags from FACTS.md. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
}
