/**
 * Headless Chromium for the browser tests (dashboard, email rendering): Debian's `chromium` package
 * driven by playwright-core, which brings no browser of its own. CHROMIUM_PATH overrides the binary.
 * A missing browser fails the test with how to install it (scripts/ensure-chromium.sh); it never
 * skips the test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where tests save screenshots; ignored by git, kept by CI as test artifacts. */
export const ARTIFACTS_DIR = path.resolve(__dirname, '..', 'test-artifacts');

/**
 * Launches headless Chromium. The flags: `--no-sandbox` because tests run as root in CI;
 * `--disable-gpu` for machines without one; the rest stop Chromium's background traffic (updates,
 * sync, QUIC probes), which on a machine without internet access only produces retries and noise.
 * Throws an Error saying how to install Chromium when the binary is missing.
 */
export async function launchChromium(): Promise<Browser> {
  try {
    fs.accessSync(CHROMIUM_PATH, fs.constants.X_OK);
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: the browser tests need it. Install it with scripts/ensure-chromium.sh ` +
        '(Debian/Ubuntu: apt-get install chromium), or point CHROMIUM_PATH at a Chromium or Chrome binary.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Collects what a page reports as broken: uncaught exceptions, console errors (including Content-
 * Security-Policy violations, which Chromium logs there), error responses and failed requests. Tests assert it stays
 * empty so that a page that half works does not pass.
 */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  page.on('requestfailed', (req) => {
    // An event stream cut by the test's own page.close() or server.close() is not a page error.
    if (new URL(req.url()).pathname === '/events') return;
    errors.push(`request failed: ${req.url()} (${req.failure()?.errorText ?? 'unknown'})`);
  });
  return errors;
}

/** Saves a full-page screenshot as test-artifacts/<name>.png and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
