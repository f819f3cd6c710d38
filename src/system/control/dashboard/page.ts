/**
 * The dashboard's HTML document, served as `GET /` by src/system/control/dashboard/dashboard.ts. Static: every value
 * is filled in by the client script (client.ts) with textContent, never as markup. No inline script
 * or style, so the page works under the Content-Security-Policy of dashboard.ts
 * (`script-src 'self'; style-src 'self'`).
 *
 * The element ids and data attributes are what client.ts fills in and what the browser tests read:
 * change them together.
 */
export const DASHBOARD_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>logpipe dashboard</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/chart.umd.js" defer></script>
<script src="/assets/dashboard.js" defer></script>
</head>
<body data-state="connecting">
<header>
  <h1>logpipe</h1>
  <p id="status" class="status">Connecting…</p>
  <form method="post" action="/logout" class="logout"><button type="submit">Log out</button></form>
</header>
<main>
  <section aria-labelledby="windows-title">
    <h2 id="windows-title">Log levels per window, latest hour of event time</h2>
    <div id="range" class="range">
      <label for="day-select">Show</label>
      <select id="day-select" data-days="0">
        <option value="">the latest hour of event time</option>
      </select>
      <span id="range-note" class="muted"></span>
    </div>
    <p id="windows-summary" class="summary">Waiting for data…</p>
    <p id="windows-empty" class="empty" hidden>No windows yet: the report stage closes a window when its time has passed.</p>
    <div id="chart-box" class="chart-box" hidden>
      <canvas id="levels-chart" role="img" aria-label="Stacked bar chart of log level counts per window" aria-describedby="windows-summary"></canvas>
    </div>
    <details id="windows-details">
      <summary>The chart's data as a table</summary>
      <div class="table-scroll">
        <table id="windows-table" data-windows="0">
          <caption>Level counts per window (times in UTC)</caption>
          <thead><tr id="windows-head"><th scope="col">Window</th></tr></thead>
          <tbody id="windows-body"></tbody>
        </table>
      </div>
    </details>
  </section>

  <section aria-labelledby="alerts-title">
    <h2 id="alerts-title">Alerts, latest hour of event time</h2>
    <p id="alerts-empty" class="empty">No alerts in the windows shown.</p>
    <ol id="alerts-list" class="alerts" aria-live="polite" data-alerts="0"></ol>
  </section>

  <section aria-labelledby="objects-title">
    <h2 id="objects-title">Objects being ingested</h2>
    <p id="objects-empty" class="empty">No objects queued or ingested in the last hour.</p>
    <div class="table-scroll">
      <table id="objects-table" data-objects="0" hidden>
        <caption>Running objects first, then the newest (at most 50)</caption>
        <thead>
          <tr>
            <th scope="col">Object</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col" class="num">Lines</th>
            <th scope="col" class="num">Lines/s</th>
            <th scope="col">Started</th>
            <th scope="col">Finished</th>
          </tr>
        </thead>
        <tbody id="objects-body"></tbody>
      </table>
    </div>
  </section>
</main>
<footer>
  <p>Times are UTC; windows are placed by event time (the time in the log lines), objects by when they were ingested. Data: <a id="api-link" href="/api/dashboard">/api/dashboard</a> (JSON, <code>?day=YYYY-MM-DD</code> for one day), live stream <code>/events</code>.</p>
</footer>
</body>
</html>
`;
