/**
 * The dashboard's style sheet, served as `GET /assets/dashboard.css` (an external sheet because the
 * Content-Security-Policy allows no inline style). States are shown with text as well as colour.
 */
export const DASHBOARD_CSS = `:root {
  color-scheme: light;
  --fg: #1b1f24;
  --muted: #57606a;
  --line: #d0d7de;
  --bg-alt: #f6f8fa;
  --alert: #b3261e;
  --ok: #1a7f37;
  --warn: #9a6700;
}
* { box-sizing: border-box; }
body {
  margin: 0;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
  color: var(--fg);
  background: #fff;
}
header {
  display: flex;
  flex-wrap: wrap;
  align-items: baseline;
  gap: 0.5rem 1.5rem;
  padding: 0.75rem 1.5rem;
  border-bottom: 1px solid var(--line);
  background: var(--bg-alt);
}
h1 { font-size: 1.3rem; margin: 0; }
h2 { font-size: 1.1rem; margin: 0 0 0.5rem; }
main { padding: 0 1.5rem 1rem; max-width: 80rem; }
section { margin: 1.25rem 0 1.75rem; }
footer { padding: 0.5rem 1.5rem 1.5rem; color: var(--muted); font-size: 0.85rem; }
.status { margin: 0; color: var(--muted); }
/* Log out (POST /logout): at the header's end. */
.logout { margin: 0 0 0 auto; }
body[data-state="live"] .status::before { content: "● "; color: var(--ok); }
body[data-state="error"] .status::before,
body[data-state="reconnecting"] .status::before { content: "● "; color: var(--alert); }
.summary { margin: 0 0 0.5rem; color: var(--muted); }
.range { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.25rem 0.6rem; margin: 0 0 0.5rem; }
.range select { font: inherit; }
.empty { color: var(--muted); font-style: italic; }
.muted { color: var(--muted); }
.chart-box { position: relative; height: 320px; max-width: 72rem; }
.table-scroll { overflow-x: auto; }
details { margin-top: 0.75rem; }
summary { cursor: pointer; color: var(--muted); }
table { border-collapse: collapse; margin-top: 0.5rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); font-size: 0.85rem; padding-bottom: 0.25rem; }
th, td { border: 1px solid var(--line); padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { background: var(--bg-alt); font-weight: 600; }
td.num, th.num { text-align: right; }
tr.alerting td:first-child { border-left: 4px solid var(--alert); }
.object-id { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85rem; overflow-wrap: anywhere; max-width: 36rem; }
.badge { display: inline-block; padding: 0 0.45rem; border-radius: 0.6rem; font-size: 0.8rem; border: 1px solid currentColor; white-space: nowrap; }
.badge.alert, .badge.failed, .badge.dead-letter { color: var(--alert); }
.badge.sent, .badge.ingested { color: var(--ok); }
.badge.running, .badge.pending { color: var(--warn); }
.badge.queued, .badge.suppressed, .badge.disabled { color: var(--muted); }
.reason { color: var(--alert); font-size: 0.85rem; overflow-wrap: anywhere; }
progress { width: 8rem; vertical-align: middle; }
td.progress { white-space: nowrap; }
.alerts { padding-left: 1.25rem; margin: 0; }
.alerts li { margin: 0 0 0.6rem; }
.alerts .when { font-weight: 600; }
.alerts ul { margin: 0.15rem 0 0; padding-left: 1.1rem; color: var(--fg); }
a { color: #0b57d0; }
`;

/** The page's icon: three stacked bars, the alert colour on top. */
export const DASHBOARD_ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">
<rect x="1" y="8" width="4" height="7" fill="#1f77b4"/><rect x="6" y="4" width="4" height="11" fill="#1f77b4"/>
<rect x="6" y="1" width="4" height="3" fill="#d62728"/><rect x="11" y="10" width="4" height="5" fill="#1f77b4"/>
</svg>
`;
