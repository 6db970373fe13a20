// Launches Debian's Chromium headless through playwright-core, with no traffic beyond loopback.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** How to get the browser the end-to-end test drives (playwright-core downloads none). */
export const CHROMIUM_HELP = [
  `[bgstore] Chromium not found at ${CHROMIUM}: the playground's browser test needs it.`,
  '  Debian/Ubuntu:  sudo apt-get install -y --no-install-recommends chromium',
  '  elsewhere:      install Chromium or Chrome and set CHROMIUM_PATH=/path/to/chromium',
].join('\n');

/** Whether the browser is installed where `launchChromium` looks. */
export const hasChromium = (): boolean => existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  if (!hasChromium()) return Promise.reject(new Error(CHROMIUM_HELP));
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
  });
}
