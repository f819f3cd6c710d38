/**
 * Renders a closed window for people and files: email subject, text and HTML bodies, CSV, JSON, the
 * zipped report the original emailed, and the report file names. Pure apart from renderZip, which
 * is asynchronous only because yazl streams; the same input gives the same bytes.
 *
 * Everything that comes from log lines (messages, source names) is untrusted: the HTML body escapes
 * it, the text body and HTML show control and bidirectional-override characters as `\uXXXX`, and
 * CSV cells are quoted and kept from being read as spreadsheet formulas.
 */
import { createHash } from 'node:crypto';
import { ZipFile } from 'yazl';
import type { CountsWithTotal } from '../generator/truth';
import { LEVELS } from '../model/levels';
import type { AlertDecision } from './rules';
import { toReport, type WindowReport } from './window';

/** The JSON document of a closed window: the report record's value and the `.json` file. */
export interface ReportDocument extends WindowReport {
  alert: { alert: boolean; reasons: string[]; suppressed: string | null };
}

export interface ReportFileNames {
  json: string;
  csv: string;
  txt: string;
  zip: string;
}

/** `2026-11-26T10-41-00Z` for 2026-11-26 10:41:00 UTC (milliseconds kept when not zero). */
export function fileStamp(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z').replace(/:/g, '-');
}

/** Longest topicToken() kept whole; a longer one is cut and made unique by a hash. */
const TOKEN_MAX = 100;
/** Characters topicToken() keeps as they are; every other one is escaped. */
const TOKEN_PLAIN = /[a-z0-9-]/;

/**
 * A log topic as a token of `a–z`, `0–9`, `-` and `_` only: every other character (`.`, `_`, capital
 * letters, anything else) becomes `_` and the two hex digits of each of its UTF-8 bytes, so
 * `logpipe.lines` → `logpipe_2elines`. Distinct topics give distinct tokens, also on file systems that
 * ignore case, and a token holds no `.`, so it can stand between the `.`-separated parts of a file
 * name or a Message-ID. A token longer than 100 characters is cut to its first 80 (never inside an
 * escape) and followed by `_h` and 16 hex digits of the topic's SHA-256 (`h` never follows `_` in an
 * uncut token), which keeps report file names under the usual 255-byte limit. Throws a RangeError
 * for an empty topic.
 */
export function topicToken(topic: string): string {
  if (topic === '') throw new RangeError('a topic token needs a non-empty topic');
  let token = '';
  for (const c of topic) {
    if (TOKEN_PLAIN.test(c)) token += c;
    else for (const byte of Buffer.from(c, 'utf8')) token += `_${byte.toString(16).padStart(2, '0')}`;
  }
  if (token.length <= TOKEN_MAX) return token;
  const head = token.slice(0, 80).replace(/_[0-9a-f]?$/, '');
  return `${head}_h${createHash('sha256').update(topic, 'utf8').digest('hex').slice(0, 16)}`;
}

/**
 * The names of a window's report files: `<topicToken(topic)>.<window start>.json` (also `.csv`,
 * `.txt`, `.zip`), so the reports of several log topics can share a directory. Safe on every common
 * file system; the dashboard's `GET /reports/<name>` serves them. Throws a RangeError for an empty topic.
 */
export function reportFileNames(report: Pick<WindowReport, 'startMs'>, topic: string): ReportFileNames {
  const base = `${topicToken(topic)}.${fileStamp(report.startMs)}`;
  return { json: `${base}.json`, csv: `${base}.csv`, txt: `${base}.txt`, zip: `${base}.zip` };
}

/**
 * `ALERT | 7 ERROR messages in 10:41–10:42 UTC`. Times are HH:MM, or HH:MM:SS when the window does
 * not start and end on whole minutes.
 */
export function renderSubject(report: WindowReport): string {
  const n = report.counts.ERROR;
  return `ALERT | ${n} ERROR ${n === 1 ? 'message' : 'messages'} in ${timeRange(report, false)} UTC`;
}

/** The JSON document of a window and its alert decision; keys in a fixed order. */
export function reportDocument(report: WindowReport, decision: AlertDecision): ReportDocument {
  return { ...toReport(report), alert: { alert: decision.alert, reasons: [...decision.reasons], suppressed: decision.suppressed ?? null } };
}

/** reportDocument() as pretty-printed JSON with a final newline (the `.json` file). */
export function renderJson(report: WindowReport, decision: AlertDecision): string {
  return `${JSON.stringify(reportDocument(report, decision), null, 2)}\n`;
}

/**
 * Counts as CSV (RFC 4180, CRLF line ends): a header, one `window` row, then one `source` row per
 * source. Source names are quoted when needed, and prefixed with `'` when they start like a formula.
 */
export function renderCsv(report: WindowReport): string {
  const start = new Date(report.startMs).toISOString();
  const row = (scope: string, source: string, c: CountsWithTotal): string =>
    [start, scope, csvCell(source), ...LEVELS.map((l) => String(c.counts[l])), String(c.total)].join(',');
  const lines = [
    ['window_start', 'scope', 'source', ...LEVELS, 'total'].join(','),
    row('window', '', report),
    ...Object.entries(report.sources).map(([name, s]) => row('source', name, s)),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** The plain-text body (also the `.txt` file): decision, counts, per-source counts, top errors. */
export function renderText(report: WindowReport, decision: AlertDecision): string {
  const out: string[] = [];
  out.push(`logpipe report for ${timeRange(report, true)} UTC (window ${report.id})`);
  out.push('');
  out.push(...decisionLines(decision).map((l) => printable(l)));
  out.push('');
  out.push('Counts');
  out.push(...textTable(['level', 'count'], [...LEVELS.map((l) => [l, String(report.counts[l])]), ['total', String(report.total)]], [false, true]));
  out.push('');
  out.push(...detailLines(report));
  out.push('');
  out.push('Per source');
  const sources = Object.entries(report.sources);
  if (sources.length === 0) out.push('  (none)');
  else {
    out.push(...textTable(['source', ...LEVELS, 'total'], sources.map(([name, s]) => [printable(name), ...LEVELS.map((l) => String(s.counts[l])), String(s.total)]), [false, ...LEVELS.map(() => true), true]));
  }
  out.push('');
  out.push(`Top ERROR messages`);
  if (report.topErrors.length === 0) out.push('  (none)');
  else out.push(...textTable(['count', 'message'], report.topErrors.map((e) => [String(e.count), printable(e.message)]), [true, false]));
  return `${out.join('\n')}\n`;
}

/** Inline styles of the HTML body: mail clients drop style sheets and classes, so every element carries its own. */
const EMAIL = {
  font: 'font-family:-apple-system,BlinkMacSystemFont,\'Segoe UI\',Roboto,Helvetica,Arial,sans-serif',
  mono: 'font-family:Consolas,Menlo,\'DejaVu Sans Mono\',monospace;font-size:12px',
  text: '#1b1f24',
  muted: '#57606a',
  line: '#d0d7de',
  head: '#f6f8fa',
  alert: '#b3261e',
};

/**
 * The HTML body: the same content as renderText, every value from the logs HTML-escaped. Built for
 * mail clients: a single 600 px column (narrower screens shrink it), tables with inline styles, no
 * scripts, images, style sheets or remote resources. Long unbroken log content (tokens, URLs, paths)
 * wraps inside its cell instead of widening the email; numbers and headers never wrap.
 */
export function renderHtml(report: WindowReport, decision: AlertDecision): string {
  const box = `border:1px solid ${EMAIL.line};padding:4px 8px;vertical-align:top`;
  const textCell = `${box};text-align:left`;
  const numberCell = `${box};text-align:right;white-space:nowrap`;
  const cell = (text: string, numeric = false): string => `<td style="${numeric ? numberCell : textCell}">${html(text)}</td>`;
  const head = (names: string[], numeric: boolean[]): string =>
    `<tr>${names.map((n, i) => `<th scope="col" style="${numeric[i] ? numberCell : `${textCell};white-space:nowrap`};background:${EMAIL.head}">${html(n)}</th>`).join('')}</tr>`;
  const table = (header: string[], numeric: boolean[], rows: string[], fullWidth: boolean): string =>
    `<table border="1" cellpadding="4" cellspacing="0"${fullWidth ? ' width="100%"' : ''} style="border-collapse:collapse;border-color:${EMAIL.line};font-size:13px${fullWidth ? ';width:100%' : ''}">${head(header, numeric)}${rows.join('')}</table>`;
  const counts = table(['level', 'count'], [false, true], [...LEVELS.map((l) => `<tr>${cell(l)}${cell(String(report.counts[l]), true)}</tr>`), `<tr>${cell('total')}${cell(String(report.total), true)}</tr>`], false);
  const sources = Object.entries(report.sources);
  const none = `<p style="margin:0;color:${EMAIL.muted}">(none)</p>`;
  const perSource =
    sources.length === 0
      ? none
      : table(['source', ...LEVELS, 'total'], [false, ...LEVELS.map(() => true), true], sources.map(([name, s]) => `<tr>${cell(name)}${LEVELS.map((l) => cell(String(s.counts[l]), true)).join('')}${cell(String(s.total), true)}</tr>`), true);
  const errors =
    report.topErrors.length === 0
      ? none
      : table(['count', 'message'], [true, false], report.topErrors.map((e) => `<tr>${cell(String(e.count), true)}<td style="${textCell}"><code style="${EMAIL.mono}">${html(e.message)}</code></td></tr>`), true);
  const h2 = (text: string): string => `<h2 style="font-size:16px;margin:20px 0 6px">${html(text)}</h2>`;
  const list = (lines: string[], indent: number): string => `<ul style="margin:0;padding-left:${indent}px">${lines.map((l) => `<li>${html(l)}</li>`).join('')}</ul>`;
  const banner = decision.alert ? `border-left:4px solid ${EMAIL.alert};background:#fdecea` : `border-left:4px solid ${EMAIL.line};background:${EMAIL.head}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>' + html(renderSubject(report)) + '</title></head>',
    `<body style="margin:0;padding:0;background:${EMAIL.head}">`,
    `<table role="presentation" width="100%" border="0" cellpadding="0" cellspacing="0" style="background:${EMAIL.head}"><tr><td align="center" style="padding:16px 8px">`,
    // overflow-wrap and word-break are inherited: every cell below may break an over-long word.
    `<table role="presentation" width="100%" border="0" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;border:1px solid ${EMAIL.line}"><tr><td style="padding:16px 20px;${EMAIL.font};font-size:14px;line-height:1.45;color:${EMAIL.text};text-align:left;overflow-wrap:anywhere;word-break:break-word">`,
    `<h1 style="font-size:20px;line-height:1.25;margin:0 0 4px">logpipe report for ${html(timeRange(report, true))} UTC</h1>`,
    `<p style="margin:0 0 12px;color:${EMAIL.muted};font-size:12px">Window ${html(report.id)}</p>`,
    `<div style="${banner};padding:8px 12px">${list(decisionLines(decision), 16)}</div>`,
    h2('Counts'),
    counts,
    `<div style="margin-top:8px;color:${EMAIL.muted};font-size:13px">${list(detailLines(report), 20)}</div>`,
    h2('Per source'),
    perSource,
    h2('Top ERROR messages'),
    errors,
    `<p style="margin:20px 0 0;color:${EMAIL.muted};font-size:12px">The attached zip holds the window's counts as CSV and JSON. Times are UTC.</p>`,
    '</td></tr></table>',
    '</td></tr></table>',
    '</body></html>',
    '',
  ].join('\n');
}

/**
 * A zip holding the window's CSV and JSON files (names from reportFileNames for the log topic),
 * both dated at the window start so a re-render gives the same bytes. Throws a RangeError for an
 * empty topic; rejects only if yazl fails.
 */
export function renderZip(report: WindowReport, decision: AlertDecision, topic: string): Promise<Buffer> {
  const names = reportFileNames(report, topic);
  const zip = new ZipFile();
  const mtime = new Date(report.startMs);
  zip.addBuffer(Buffer.from(renderCsv(report)), names.csv, { mtime, mode: 0o100644 });
  zip.addBuffer(Buffer.from(renderJson(report, decision)), names.json, { mtime, mode: 0o100644 });
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** Escapes the five characters that matter in HTML text and attribute values, after printable(). */
export function html(text: string): string {
  return printable(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Shows C0/C1 control characters, line and paragraph separators and bidirectional overrides as
 * `\uXXXX`, so a log line cannot break a table, move the cursor or reorder what a reader sees.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function decisionLines(decision: AlertDecision): string[] {
  const lines = [`Alert: ${decision.alert ? 'yes' : 'no'}`];
  lines.push(...decision.reasons.map((r) => `Rule: ${r}`));
  if (decision.suppressed) lines.push(`Suppressed: ${decision.suppressed}`);
  return lines;
}

function detailLines(report: WindowReport): string[] {
  return [
    `First event: ${new Date(report.firstEventMs).toISOString()}`,
    `Last event: ${new Date(report.lastEventMs).toISOString()}`,
    `Late records (for earlier windows, not counted above): ${report.late}`,
    ...(report.future > 0 ? [`Future-dated records (dated beyond the clock when read; counted above, at their neighbours' time): ${report.future}`] : []),
  ];
}

function timeRange(report: WindowReport, withDate: boolean): string {
  const seconds = report.startMs % 60_000 !== 0 || report.endMs % 60_000 !== 0;
  const time = (ms: number): string => new Date(ms).toISOString().slice(11, seconds ? 19 : 16);
  const date = withDate ? `${new Date(report.startMs).toISOString().slice(0, 10)} ` : '';
  return `${date}${time(report.startMs)}–${time(report.endMs)}`;
}

function textTable(header: string[], rows: string[][], rightAligned: boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    `  ${cells.map((c, i) => (rightAligned[i] ? c.padStart(widths[i]) : i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}`;
  return [line(header), ...rows.map(line)];
}

function csvCell(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) || safe !== safe.trim() ? `"${safe.replace(/"/g, '""')}"` : safe;
}
