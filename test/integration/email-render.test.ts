/**
 * The HTML alert email as a mail client shows it: the email built by buildAlertEmail (the bytes SES
 * or SMTP would get), its text/html part taken out by Python's standard email parser, rendered in
 * headless Chromium with JavaScript disabled at 600 px, the usual width of an email pane. Guards
 * that hostile log content (markup, very long unbroken lines, control and bidirectional characters,
 * non-ASCII) stays text and cannot break the layout, that the report reads as tables, and that the
 * email carries no script. The screenshot goes to test-artifacts/. Needs Chromium and python3, not
 * the local stack.
 */
import { execFileSync } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { buildAlertEmail } from '../../src/report/email';
import { renderHtml } from '../../src/report/render';
import type { AlertDecision } from '../../src/report/rules';
import { WindowAggregator, type WindowReport } from '../../src/report/window';
import { launchChromium, saveScreenshot, watchPageErrors } from '../browser';

const START = Date.UTC(2026, 2, 14, 10, 41);
const MARKUP = '<img src=x onerror="document.title=\'pwned\'"></td></tr></table><h1>broken</h1><script>document.title="pwned"</script>';
const LONG_TOKEN = `token=${'A1b2C3d4'.repeat(60)}`; // 486 characters without a break opportunity
const LONG_URL = `https://api.example.invalid/v1/${'segment/'.repeat(40)}resource?query=${'x'.repeat(120)}`;
const NON_ASCII = 'Überweisung fehlgeschlagen: 支払いに失敗しました — الدفع فشل 💥';
const CONTROL = 'colour \u001b[31mred\u001b[0m then \u202eoverride';
const LONG_SOURCE = `ip-10-0-12-34.eu-west-1.compute.internal/var/log/app/${'very-long-directory-name/'.repeat(6)}LogFileGenerator.2026-03-14.log`;

/** A window as the report stage closes it: five sources, 13 distinct ERROR messages, hostile ones among them. */
function realisticReport(): WindowReport {
  const agg = new WindowAggregator({}, () => 0);
  let t = START + 500;
  const add = (n: number, level: 'ERROR' | 'WARN' | 'INFO' | 'DEBUG', source: string, message: string): void => {
    for (let i = 0; i < n; i++) agg.add({ timeMs: (t += 37), arrivalMs: t, level, source, message });
  };
  add(420, 'INFO', 'app-1.log', 'request served');
  add(96, 'DEBUG', 'app-2.log', 'cache hit');
  add(31, 'WARN', 'app-2.log', 'slow query');
  add(6, 'ERROR', 'app-1.log', 'Connection refused: db-primary:5432');
  add(4, 'ERROR', 'app-2.log', MARKUP);
  add(3, 'ERROR', LONG_SOURCE, LONG_TOKEN);
  add(2, 'ERROR', 'app-2.log', LONG_URL);
  add(2, 'ERROR', 'zahlungen-ü.log', NON_ASCII);
  add(2, 'ERROR', '<b>host</b>', CONTROL);
  for (let i = 0; i < 8; i++) add(1, 'ERROR', 'app-1.log', `Timeout after ${1000 + i} ms calling payments`);
  const [w] = agg.closeAll();
  return w;
}

const DECISION: AlertDecision = {
  alert: true,
  reasons: ['27 ERROR entries, more than the threshold of 1', 'ERROR share 4.7 % (27 of 574), more than 1 %'],
  suppressed: undefined,
  lastAlertStartMs: START,
};

/** The decoded text/html part of a raw message, by Python's email package (a parser we did not write). */
function htmlPart(raw: Buffer): string {
  const script = [
    'import sys, email, email.policy',
    'm = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)',
    "part = m.get_body(preferencelist=('html',))",
    "sys.stdout.buffer.write(part.get_content().encode('utf-8'))",
  ].join('\n');
  return execFileSync('python3', ['-c', script], { input: raw }).toString('utf8');
}

describe('HTML alert email in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('reads as tables at 600 px, shows hostile content as text, runs nothing and does not overflow', async () => {
    const report = realisticReport();
    const email = await buildAlertEmail({ from: 'logpipe <alerts@logpipe.test>', to: ['ops@example.test'], report, decision: DECISION, date: new Date(START + 65_000), scope: 'it', topic: 'logpipe.lines' });
    const body = htmlPart(email.raw);
    // The email carries exactly what render.ts produced (no transport rewriting).
    expect(body.trim()).toBe(renderHtml(report, DECISION).trim());

    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 600, height: 800 } });
    const page = await context.newPage();
    const errors = watchPageErrors(page);
    try {
      // Offline like a mail client with remote content blocked: any request would be a finding.
      const requests: string[] = [];
      await page.route('**/*', (route) => {
        requests.push(route.request().url());
        return route.abort();
      });
      await page.setContent(body, { waitUntil: 'load' });

      expect(await page.locator('script').count()).toBe(0);
      expect(await page.locator('img, iframe, object, embed, form, link, style').count()).toBe(0);
      expect(await page.title()).toBe(email.subject);
      expect(await page.locator('h1').allTextContents()).toEqual(['logpipe report for 2026-03-14 10:41–10:42 UTC']);
      expect(requests).toEqual([]);

      // Data tables: counts, per source, top errors, each with a header row (the others are the
      // role="presentation" layout tables of the 600 px column).
      const tables = page.locator('table:not([role="presentation"])');
      expect(await tables.count()).toBe(3);
      for (let i = 0; i < 3; i++) expect(await tables.nth(i).locator('th').count()).toBeGreaterThan(1);
      const counts = await tables.nth(0).locator('tr').allInnerTexts();
      expect(counts.map((r) => r.replace(/\s+/g, ' ').trim())).toEqual(['level count', `ERROR ${report.counts.ERROR}`, 'WARN 31', 'INFO 420', 'DEBUG 96', 'TRACE 0', 'UNPARSED 0', `total ${report.total}`]);
      expect([report.counts.ERROR, report.total]).toEqual([27, 574]);

      // Hostile content is text, exactly as logged (control and override characters shown as \uXXXX).
      const messages = await tables.nth(2).locator('code').allTextContents();
      expect(messages).toEqual(expect.arrayContaining([MARKUP, LONG_TOKEN, LONG_URL, NON_ASCII, 'colour \\u001b[31mred\\u001b[0m then \\u202eoverride']));
      const sources = await tables.nth(1).locator('tr > td:first-child').allTextContents();
      expect(sources).toEqual(expect.arrayContaining(['<b>host</b>', LONG_SOURCE, 'zahlungen-ü.log']));
      expect(await page.locator('b, h1 ~ h1').count()).toBe(0);

      // Nothing wider than the pane: no horizontal scrolling, every table inside the body.
      // (A string, because the test's TypeScript has no DOM types; Playwright evaluates it even with
      // the page's JavaScript disabled.)
      const widths = (await page.evaluate(`({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
        tables: [...document.querySelectorAll('table')].map((t) => Math.ceil(t.getBoundingClientRect().right)),
      })`)) as { scroll: number; client: number; tables: number[] };
      expect(widths.scroll).toBeLessThanOrEqual(widths.client);
      for (const right of widths.tables) expect(right).toBeLessThanOrEqual(widths.client);

      await saveScreenshot(page, 'alert-email-600px');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
