import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';

/** Debian's chromium (`.ci/install-chromium.sh`), or CHROMIUM_PATH; never a downloaded browser. */
export const chromium = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (path): path is string => !!path && existsSync(path),
);

/** Headless Chromium on a fresh profile, with the network chatter this machine refuses turned off. */
export async function launchChromium(): Promise<{ browser: Browser; profile: string }> {
  const { default: puppeteer } = await import('puppeteer-core');
  const profile = mkdtempSync(join(tmpdir(), 'vq-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    userDataDir: profile,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return { browser, profile };
}

export async function closeChromium(
  browser: Browser | undefined,
  profile: string | undefined,
): Promise<void> {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
}
