import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emptyCounts } from '../model/levels';
import { REPORT_NAME } from '../system/control/dashboard/dashboard';
import { fileStamp, html, printable, renderCsv, renderHtml, renderJson, renderSubject, renderText, renderZip, reportDocument, reportFileNames, topicToken } from './render';
import type { AlertDecision } from './rules';
import { WindowAggregator, type WindowReport } from './window';

const START = Date.UTC(2026, 10, 26, 10, 41);
const HOSTILE = '<script>alert("x")</script> & \'quoted\' \u001b[31mred\u202e';
const DECISION: AlertDecision = { alert: true, reasons: ['7 ERROR entries, more than the threshold of 1'], suppressed: undefined, lastAlertStartMs: START };

/** A window with 7 ERROR entries, two sources (one with a hostile name) and a hostile message. */
function sample(): WindowReport {
  const agg = new WindowAggregator({}, () => 0);
  const add = (n: number, level: 'ERROR' | 'INFO', source: string, message: string): void => {
    for (let i = 0; i < n; i++) agg.add({ timeMs: START + 1_000 + i, arrivalMs: START + 1_000 + i, level, source, message });
  };
  add(4, 'ERROR', 'app-1.log', 'Connection refused');
  add(3, 'ERROR', '=cmd|"/c calc"!A1,evil', HOSTILE);
  add(5, 'INFO', 'app-1.log', 'ok');
  const [w] = agg.closeAll();
  return w;
}

function withTimes(startMs: number, endMs: number, errors: number): WindowReport {
  return { ...sample(), startMs, endMs, counts: { ...emptyCounts(), ERROR: errors } };
}

describe('renderSubject', () => {
  it.each<[string, WindowReport, string]>([
    ['the original example', withTimes(START, START + 60_000, 7), 'ALERT | 7 ERROR messages in 10:41–10:42 UTC'],
    ['one message', withTimes(START, START + 60_000, 1), 'ALERT | 1 ERROR message in 10:41–10:42 UTC'],
    ['seconds for sub-minute windows', withTimes(START + 10_000, START + 20_000, 2), 'ALERT | 2 ERROR messages in 10:41:10–10:41:20 UTC'],
    ['across midnight', withTimes(Date.UTC(2026, 10, 26, 23, 59), Date.UTC(2026, 10, 27), 3), 'ALERT | 3 ERROR messages in 23:59–00:00 UTC'],
  ])('%s', (_name, report, subject) => {
    expect(renderSubject(report)).toBe(subject);
  });
});

describe('file names', () => {
  it.each<[number, string]>([
    [START, '2026-11-26T10-41-00Z'],
    [START + 500, '2026-11-26T10-41-00.500Z'],
  ])('%d is stamped %s', (ms, stamp) => {
    expect(fileStamp(ms)).toBe(stamp);
  });

  it('names the json, csv, txt and zip files by the log topic and the window start', () => {
    expect(reportFileNames({ startMs: START }, 'logpipe.lines')).toEqual({
      json: 'logpipe_2elines.2026-11-26T10-41-00Z.json',
      csv: 'logpipe_2elines.2026-11-26T10-41-00Z.csv',
      txt: 'logpipe_2elines.2026-11-26T10-41-00Z.txt',
      zip: 'logpipe_2elines.2026-11-26T10-41-00Z.zip',
    });
  });

  // Issue 14 item 5: two log topics reported into one directory wrote each other's files.
  it('names the same window of different topics apart, however alike their names, and the dashboard serves every name', () => {
    const topics = ['logs', 'app.logs', 'app_logs', 'app-logs', 'app_2elogs', 'App.Logs', 'app..logs', '.logs', 'logs.', '..', 'läufe', 'x'.repeat(249), `${'x'.repeat(248)}y`, '.'.repeat(249)];
    const names = topics.map((t) => reportFileNames({ startMs: START }, t).json);
    expect(new Set(names).size).toBe(topics.length);
    // Also on file systems that ignore case (macOS, Windows).
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(topics.length);
    for (const name of names) {
      expect(name).toMatch(REPORT_NAME);
      expect(name.startsWith('.')).toBe(false);
      // Within the 255-byte file name limit of common file systems, even for a 249-character topic.
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(150);
    }
  });

  it.each<[string, string]>([
    ['logpipe-lines', 'logpipe-lines'],
    ['logpipe.lines', 'logpipe_2elines'],
    ['app_logs', 'app_5flogs'],
    ['Logs', '_4cogs'],
    ['läufe', 'l_c3_a4ufe'],
  ])('topicToken(%j) is %j', (topic, token) => {
    expect(topicToken(topic)).toBe(token);
  });

  it('cuts a long token to a readable head and a hash, never inside an escape', () => {
    const token = topicToken('.'.repeat(249));
    expect(token).toMatch(/^(_2e){26}_h[0-9a-f]{16}$/);
    expect(topicToken(`a${'.'.repeat(248)}`)).toMatch(/^a(_2e){26}_h[0-9a-f]{16}$/);
    expect(() => topicToken('')).toThrow(RangeError);
  });
});

describe('escaping', () => {
  it.each<[string, string]>([
    ['<b>&"\'', '&#60;b&#62;&#38;&#34;&#39;'],
    ['tab\there', 'tab\\u0009here'],
    ['plain ü text', 'plain ü text'],
  ])('html(%j)', (input, output) => {
    expect(html(input)).toBe(output);
  });

  it.each<[string, string]>([
    ['a\nb\r', 'a\\u000ab\\u000d'],
    ['\u001b[2J', '\\u001b[2J'],
    ['abc\u202edef', 'abc\\u202edef'],
    ['ok', 'ok'],
  ])('printable(%j)', (input, output) => {
    expect(printable(input)).toBe(output);
  });
});

describe('bodies', () => {
  it('text body has the decision, counts, sources and top errors, controls made visible', () => {
    const text = renderText(sample(), DECISION);
    expect(text).toContain('logpipe report for 2026-11-26 10:41–10:42 UTC (window 60000@' + START + ')');
    expect(text).toContain('Alert: yes\nRule: 7 ERROR entries, more than the threshold of 1\n');
    expect(text).toMatch(/^ {2}ERROR +7$/m);
    expect(text).toMatch(/^ {2}INFO +5$/m);
    expect(text).toMatch(/^ {2}total +12$/m);
    expect(text).toMatch(/^ {2}app-1\.log +4 +0 +5 +0 +0 +0 +9$/m);
    expect(text).toMatch(/^ {6}4 {2}Connection refused$/m);
    expect(text).toContain('\\u001b[31mred\\u202e');
    expect(text).not.toMatch(/[\u001b\u202e]/);
  });

  it('HTML body escapes hostile messages and source names', () => {
    const body = renderHtml(sample(), DECISION);
    expect(body).not.toContain('<script');
    expect(body).not.toContain('"/c calc"');
    expect(body).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;quoted&#39; \\u001b[31mred\\u202e');
    expect(body).toMatch(/<td style="[^"]*text-align:left[^"]*">=cmd\|&#34;\/c calc&#34;!A1,evil<\/td>/);
    expect(body).toMatch(/<td style="[^"]*text-align:right;white-space:nowrap[^"]*">7<\/td>/);
    expect(body).toContain('<li>Rule: 7 ERROR entries, more than the threshold of 1</li>');
  });

  // Mail clients drop <style>, scripts and remote content; test/integration/email-render.test.ts
  // renders the body in Chromium at 600 px.
  it('HTML body is self-contained: inline styles only, a 600 px column that lets long words wrap', () => {
    const body = renderHtml(sample(), DECISION);
    expect(body).not.toMatch(/<(script|style|link|img|iframe|object|form)\b/i);
    expect(body).not.toMatch(/\b(src|href)=|https?:|\son[a-z]+=/i);
    expect(body).not.toContain('class=');
    expect(body).toContain('max-width:600px');
    expect(body).toContain('overflow-wrap:anywhere;word-break:break-word');
    expect(body.match(/<table border="1"/g)).toHaveLength(3);
  });

  it('says when a breach is suppressed', () => {
    const decision: AlertDecision = { alert: false, reasons: ['2 ERROR entries, more than the threshold of 1'], suppressed: 'too soon', lastAlertStartMs: 0 };
    expect(renderText(sample(), decision)).toContain('Alert: no\nRule: 2 ERROR entries, more than the threshold of 1\nSuppressed: too soon\n');
  });
});

describe('CSV and JSON', () => {
  it('CSV has one window row and one row per source, quoted and formula-safe', () => {
    const iso = new Date(START).toISOString();
    expect(renderCsv(sample()).split('\r\n')).toEqual([
      'window_start,scope,source,ERROR,WARN,INFO,DEBUG,TRACE,UNPARSED,total',
      `${iso},window,,7,0,5,0,0,0,12`,
      `${iso},source,"'=cmd|""/c calc""!A1,evil",3,0,0,0,0,0,3`,
      `${iso},source,app-1.log,4,0,5,0,0,0,9`,
      '',
    ]);
  });

  it('JSON is the report and the decision, without the message table', () => {
    const w = sample();
    const doc = JSON.parse(renderJson(w, DECISION)) as Record<string, unknown>;
    expect(doc).toEqual(JSON.parse(JSON.stringify(reportDocument(w, DECISION))));
    expect(doc).not.toHaveProperty('errorMessages');
    expect(doc.alert).toEqual({ alert: true, reasons: DECISION.reasons, suppressed: null });
    expect(doc.topErrors).toEqual([
      { message: 'Connection refused', count: 4 },
      { message: HOSTILE, count: 3 },
    ]);
  });
});

describe('renderZip', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-render-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('holds the CSV and JSON files, readable by another zip implementation', async () => {
    const w = sample();
    const file = path.join(dir, 'report.zip');
    fs.writeFileSync(file, await renderZip(w, DECISION, 'logs'));
    const script = 'import json, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps({i.filename: z.read(i).decode() for i in z.infolist()}))';
    const files = JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' })) as Record<string, string>;
    expect(files).toEqual({ 'logs.2026-11-26T10-41-00Z.csv': renderCsv(w), 'logs.2026-11-26T10-41-00Z.json': renderJson(w, DECISION) });
  });

  it('gives the same bytes for the same window', async () => {
    const w = sample();
    expect((await renderZip(w, DECISION, 'logs')).equals(await renderZip(w, DECISION, 'logs'))).toBe(true);
  });
});
