/**
 * The dashboard's browser script, served as `GET /assets/dashboard.js`. Plain ES2017 for any current
 * browser, no framework; Chart.js (served as /assets/chart.umd.js, loaded first) draws the chart.
 *
 * Contract with the server (src/system/control/dashboard/dashboard.ts): it listens to `GET /events` for `dashboard`
 * events carrying DashboardData (src/model/dashboard-types.ts) and `failure` events carrying
 * `{error}`; when the stream cannot be opened at all it polls `GET /api/dashboard` every 2 s instead.
 * Both carry the page's own `?day=YYYY-MM-DD` (absent: the latest hour of event time); picking a day
 * in `#day-select` rewrites the page's URL and reopens the stream for that day, and data for another
 * view than the one picked (a late answer after a switch) is never shown.
 * Every value from the data is set with textContent or as an attribute, never parsed as HTML, and a
 * link is made only from a `/reports/<name>` URL.
 *
 * What the browser tests rely on: `#windows-table` rows carry `data-window-id` and their level cells
 * `data-level`/`data-count`; `#alerts-list` items carry `data-window-id`; `#objects-body` rows carry
 * `data-object-id`/`data-status`; `body[data-generated-at]` is the generatedAt of the data shown and
 * `body[data-view]` its view (`latest` or the day); `#day-select` offers the days held (its
 * `data-days` is their number); a window's `td[data-future]` holds its future-dated records when the
 * data has them; `Chart.getChart('levels-chart')` is the chart.
 *
 * Kept as a string module so that it is served the same from dist/ and from ts-jest; written
 * without backticks and template placeholders so that the String.raw literal holds it verbatim
 * (dashboard.test.ts checks that it parses).
 */
export const DASHBOARD_JS = String.raw`(function () {
  'use strict';

  var COLOURS = { ERROR: '#d62728', WARN: '#ff7f0e', INFO: '#1f77b4', DEBUG: '#8c8c8c', TRACE: '#bcbd22', UNPARSED: '#9467bd' };
  var EXTRA_COLOURS = ['#17becf', '#e377c2', '#8c564b', '#2ca02c', '#393b79'];
  var POLL_MS = 2000;
  var REPORT_URL = /^\/reports\/[0-9A-Za-z:_.-]+$/;
  var LATEST_TITLE = 'latest hour of event time';

  var chart = null;
  var shown = { windows: null, alerts: null, objects: null, days: null };
  var current = { windows: [], windowSizeMs: 60000 };
  /** The day picked ('YYYY-MM-DD'), or null for the latest hour; from the page's ?day= at first. */
  var selectedDay = new URLSearchParams(window.location.search).get('day') || null;
  /** Bumped at every (re)connection: answers and timers of an earlier one are dropped. */
  var generation = 0;
  var source = null;

  function byId(id) { return document.getElementById(id); }

  function make(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function number(n) { return typeof n === 'number' && isFinite(n) ? n.toLocaleString('en-US') : '–'; }

  /** HH:MM (or HH:MM:SS when windows are not whole minutes) of an ISO time, in UTC. */
  function clock(iso, seconds) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return d.toISOString().slice(11, seconds ? 19 : 16);
  }

  function range(start, end) {
    var seconds = current.windowSizeMs % 60000 !== 0;
    return clock(start, seconds) + '–' + clock(end, seconds);
  }

  function bytes(n) {
    if (typeof n !== 'number' || !isFinite(n)) return '–';
    var units = ['B', 'KB', 'MB', 'GB', 'TB'];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(n) : n.toFixed(1)) + ' ' + units[i];
  }

  function colour(level, index) {
    return COLOURS[level] || EXTRA_COLOURS[index % EXTRA_COLOURS.length];
  }

  function reportLink(url, text, label) {
    if (typeof url !== 'string' || !REPORT_URL.test(url)) return make('span', 'no report', 'muted');
    var a = make('a', text);
    a.href = url;
    if (label) a.setAttribute('aria-label', label);
    return a;
  }

  function badge(text, kind) { return make('span', text, 'badge ' + kind); }

  function setState(state, text) {
    document.body.setAttribute('data-state', state);
    byId('status').textContent = text;
  }

  function renderWindows(data) {
    var key = JSON.stringify([data.levels, data.windows, data.windowSizeMs]);
    if (key === shown.windows) return;
    shown.windows = key;
    current.windows = data.windows;
    current.windowSizeMs = data.windowSizeMs;
    var windows = data.windows;
    var levels = data.levels;
    var alerting = windows.filter(function (w) { return w.alert; }).length;
    var lines = windows.reduce(function (sum, w) { return sum + w.total; }, 0);

    byId('windows-empty').hidden = windows.length > 0;
    byId('chart-box').hidden = windows.length === 0;
    byId('windows-details').hidden = windows.length === 0;
    byId('windows-summary').hidden = windows.length === 0;
    byId('windows-summary').textContent = windows.length === 0
      ? 'No windows yet.'
      : windows.length + (windows.length === 1 ? ' window' : ' windows') + ' from ' + clock(windows[0].start) + ' to ' +
        clock(windows[windows.length - 1].end) + ' UTC, ' + number(lines) + ' lines, ' +
        alerting + (alerting === 1 ? ' alerting window.' : ' alerting windows.');

    // Future-dated records (beyond processing time plus the allowed skew) get a column only when
    // some window shown has any: they are rare, and a column of zeros would read as noise.
    var future = windows.some(function (w) { return typeof w.future === 'number' && w.future > 0; });
    var head = byId('windows-head');
    clear(head);
    var headers = ['Window (UTC)'].concat(levels, ['Total', 'Late'], future ? ['Future'] : [], ['Alert', 'Report']);
    var numeric = levels.length + 2 + (future ? 1 : 0);
    headers.forEach(function (name, i) {
      var th = make('th', name, i > 0 && i <= numeric ? 'num' : '');
      th.scope = 'col';
      if (name === 'Future') th.title = 'Records dated beyond processing time plus the allowed skew: counted, but they did not move the watermark';
      head.appendChild(th);
    });
    var body = byId('windows-body');
    clear(body);
    windows.forEach(function (w) {
      var tr = make('tr', null, w.alert ? 'alerting' : '');
      tr.setAttribute('data-window-id', w.id);
      tr.setAttribute('data-alert', String(w.alert));
      var th = make('th', range(w.start, w.end));
      th.scope = 'row';
      tr.appendChild(th);
      levels.forEach(function (level) {
        var n = w.counts[level] || 0;
        var td = make('td', number(n), 'num');
        td.setAttribute('data-level', level);
        td.setAttribute('data-count', String(n));
        tr.appendChild(td);
      });
      var total = make('td', number(w.total), 'num');
      total.setAttribute('data-total', String(w.total));
      tr.appendChild(total);
      tr.appendChild(make('td', number(w.late), 'num'));
      if (future) {
        var f = typeof w.future === 'number' ? w.future : 0;
        var futureCell = make('td', f > 0 ? number(f) : '', 'num');
        futureCell.setAttribute('data-future', String(f));
        tr.appendChild(futureCell);
      }
      var alertCell = make('td');
      alertCell.appendChild(w.alert ? badge('alert', 'alert') : make('span', 'no'));
      tr.appendChild(alertCell);
      var link = make('td');
      link.appendChild(reportLink(w.reportUrl, 'JSON', 'JSON report of window ' + range(w.start, w.end)));
      tr.appendChild(link);
      body.appendChild(tr);
    });
    byId('windows-table').setAttribute('data-windows', String(windows.length));

    var canvas = byId('levels-chart');
    canvas.setAttribute('aria-label', windows.length === 0
      ? 'Stacked bar chart of log level counts per window: no windows yet'
      : 'Stacked bar chart of log level counts per window: ' + byId('windows-summary').textContent + ' The table below holds the numbers.');
    drawChart(levels, windows);
  }

  function drawChart(levels, windows) {
    if (typeof window.Chart !== 'function') {
      byId('chart-box').hidden = true;
      byId('windows-details').open = true;
      byId('windows-summary').textContent += ' (The chart library did not load; the table shows the data.)';
      return;
    }
    var labels = windows.map(function (w) { return clock(w.start, current.windowSizeMs % 60000 !== 0); });
    var datasets = levels.map(function (level, i) {
      return {
        label: level,
        data: windows.map(function (w) { return w.counts[level] || 0; }),
        backgroundColor: colour(level, i),
        stack: 'levels',
      };
    });
    if (chart) {
      chart.data.labels = labels;
      chart.data.datasets = datasets;
      chart.update('none');
      return;
    }
    chart = new window.Chart(byId('levels-chart'), {
      type: 'bar',
      data: { labels: labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: {
            stacked: true,
            title: { display: true, text: 'window start (UTC)' },
            ticks: {
              color: function (ctx) { var w = current.windows[ctx.index]; return w && w.alert ? '#b3261e' : '#57606a'; },
              callback: function (value, index) {
                var w = current.windows[index];
                var label = this.getLabelForValue(value);
                return w && w.alert ? [label, 'ALERT'] : label;
              },
            },
          },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: 'lines' } },
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: {
            callbacks: {
              title: function (items) {
                var w = items.length ? current.windows[items[0].dataIndex] : null;
                return w ? range(w.start, w.end) + ' UTC' : '';
              },
              footer: function (items) {
                var w = items.length ? current.windows[items[0].dataIndex] : null;
                return w ? 'total ' + number(w.total) + (w.alert ? ' — ALERT' : '') : '';
              },
            },
          },
        },
      },
    });
  }

  function dayOf(iso) { return typeof iso === 'string' ? iso.slice(0, 10) : ''; }

  /** The title, day choices and range note of the view shown; tolerates data without a view. */
  function renderRange(data) {
    var view = data.view || { kind: 'latest', day: null, from: null, to: null, omitted: 0 };
    var label = view.kind === 'day' ? view.day + ' (UTC)' : LATEST_TITLE;
    document.body.setAttribute('data-view', view.kind === 'day' ? view.day : 'latest');
    byId('windows-title').textContent = 'Log levels per window, ' + label;
    byId('alerts-title').textContent = 'Alerts, ' + label;
    byId('alerts-empty').textContent = view.kind === 'day' ? 'No alerts on ' + view.day + '.' : 'No alerts in the latest hour of event time.';
    byId('windows-empty').textContent = view.kind === 'day'
      ? 'No windows held for ' + view.day + '. Pick one of the days offered above.'
      : 'No windows yet: the report stage closes a window when its time has passed.';

    var note = '';
    if (view.kind === 'day') note = 'Windows starting on ' + view.day + ', 00:00–24:00 UTC.';
    else if (view.from && view.to) {
      note = 'The hour of event time up to the newest window: ' + dayOf(view.from) + ' ' + clock(view.from) + '–' +
        (dayOf(view.to) !== dayOf(view.from) ? dayOf(view.to) + ' ' : '') + clock(view.to) + ' UTC.';
    }
    if (view.omitted > 0) note += ' The ' + number(view.omitted) + ' oldest windows of this range are left out.';
    byId('range-note').textContent = note;
    byId('api-link').href = '/api/dashboard' + query();

    var days = data.days || [];
    var key = JSON.stringify([days, selectedDay]);
    if (key === shown.days) return;
    shown.days = key;
    var select = byId('day-select');
    while (select.options.length > 1) select.remove(1);
    var listed = false;
    days.forEach(function (d) {
      var text = d.day + ' · ' + number(d.windows) + (d.windows === 1 ? ' window' : ' windows') +
        (d.alerts > 0 ? ', ' + number(d.alerts) + ' alerting' : '');
      select.appendChild(new Option(text, d.day));
      if (d.day === selectedDay) listed = true;
    });
    if (selectedDay && !listed) select.appendChild(new Option(selectedDay + ' · nothing held', selectedDay));
    select.value = selectedDay || '';
    select.setAttribute('data-days', String(days.length));
  }

  function renderAlerts(data) {
    var key = JSON.stringify(data.alerts);
    if (key === shown.alerts) return;
    shown.alerts = key;
    var list = byId('alerts-list');
    clear(list);
    byId('alerts-empty').hidden = data.alerts.length > 0;
    list.setAttribute('data-alerts', String(data.alerts.length));
    data.alerts.forEach(function (a) {
      var li = make('li');
      li.setAttribute('data-window-id', a.windowId);
      li.appendChild(make('span', range(a.start, a.end) + ' UTC', 'when'));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(badge('email ' + a.email, a.email));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(reportLink(a.reportUrl, 'report', 'report of the alert for ' + range(a.start, a.end) + ' UTC'));
      if (a.reasons.length) {
        var reasons = make('ul');
        a.reasons.forEach(function (r) { reasons.appendChild(make('li', r)); });
        li.appendChild(reasons);
      }
      list.appendChild(li);
    });
  }

  function renderObjects(data) {
    var key = JSON.stringify(data.objects);
    if (key === shown.objects) return;
    shown.objects = key;
    var body = byId('objects-body');
    clear(body);
    byId('objects-empty').hidden = data.objects.length > 0;
    byId('objects-table').hidden = data.objects.length === 0;
    byId('objects-table').setAttribute('data-objects', String(data.objects.length));
    data.objects.forEach(function (o) {
      var tr = make('tr');
      tr.setAttribute('data-object-id', o.id);
      tr.setAttribute('data-status', o.status);
      tr.appendChild(make('td', o.id, 'object-id'));
      var status = make('td');
      status.appendChild(badge(o.status, o.status));
      if (o.reason) status.appendChild(make('div', o.reason, 'reason'));
      tr.appendChild(status);
      var progress = make('td', null, 'progress');
      if (o.status === 'queued') {
        progress.textContent = 'waiting' + (typeof o.totalBytes === 'number' ? ' (' + bytes(o.totalBytes) + ')' : '');
      } else if (typeof o.totalBytes === 'number' && o.totalBytes > 0) {
        var done = o.status === 'ingested' ? o.totalBytes : Math.min(o.bytes, o.totalBytes);
        var bar = document.createElement('progress');
        bar.max = o.totalBytes;
        bar.value = done;
        bar.setAttribute('aria-label', 'progress of ' + o.id);
        progress.appendChild(bar);
        progress.appendChild(document.createTextNode(' ' + Math.floor((100 * done) / o.totalBytes) + ' % of ' + bytes(o.totalBytes)));
      } else {
        progress.textContent = bytes(o.bytes) + ' read';
      }
      tr.appendChild(progress);
      tr.appendChild(make('td', number(o.lines), 'num'));
      tr.appendChild(make('td', o.status === 'running' || o.linesPerSecond > 0 ? number(Math.round(o.linesPerSecond)) : '–', 'num'));
      tr.appendChild(make('td', o.startedAt ? clock(o.startedAt, true) : '–'));
      tr.appendChild(make('td', o.finishedAt ? clock(o.finishedAt, true) : '–'));
      body.appendChild(tr);
    });
  }

  function render(data) {
    renderRange(data);
    renderWindows(data);
    renderAlerts(data);
    renderObjects(data);
    document.body.setAttribute('data-generated-at', data.generatedAt);
  }

  function query() { return selectedDay ? '?day=' + encodeURIComponent(selectedDay) : ''; }

  /** Whether data answers the view picked now (an answer for an earlier pick is dropped). */
  function isForSelection(data) {
    if (!data || !data.view) return true;
    return (data.view.kind === 'day' ? data.view.day : null) === selectedDay;
  }

  function handle(read, how) {
    try {
      var data = read();
      if (!isForSelection(data)) return;
      render(data);
      setState('live', how + ' · updated ' + clock(data.generatedAt, true) + ' UTC');
    } catch (err) {
      setState('error', 'Cannot show the data: ' + (err && err.message ? err.message : String(err)));
    }
  }

  function poll(gen) {
    if (gen !== generation) return;
    fetch('/api/dashboard' + query(), { headers: { accept: 'application/json' }, cache: 'no-store' })
      .then(function (res) {
        if (res.ok) return res.json();
        return res.json().catch(function () { return {}; }).then(function (body) {
          throw new Error('GET /api/dashboard answered ' + res.status + (body && typeof body.error === 'string' ? ' (' + body.error + ')' : ''));
        });
      })
      .then(function (data) { if (gen === generation) handle(function () { return data; }, 'Polling'); })
      .catch(function (err) { if (gen === generation) setState('error', 'No data: ' + err.message + '; retrying'); })
      .then(function () { if (gen === generation) setTimeout(function () { poll(gen); }, POLL_MS); });
  }

  /** Opens the event stream for the view picked (closing any earlier one), else polls. */
  function connect() {
    generation++;
    var gen = generation;
    if (source) { source.close(); source = null; }
    if (typeof window.EventSource !== 'function') { poll(gen); return; }
    var stream = new EventSource('/events' + query());
    source = stream;
    stream.addEventListener('dashboard', function (ev) { handle(function () { return JSON.parse(ev.data); }, 'Live'); });
    stream.addEventListener('failure', function (ev) {
      var error = 'unknown error';
      try { error = JSON.parse(ev.data).error; } catch (e) { /* keep the generic text */ }
      setState('error', 'The service could not collect the data: ' + error);
    });
    stream.addEventListener('error', function () {
      if (gen !== generation) return;
      // EventSource reconnects by itself after a dropped stream; it gives up (CLOSED) only when the
      // stream cannot be opened, and then polling takes over.
      if (stream.readyState === EventSource.CLOSED) { source = null; poll(gen); return; }
      setState('reconnecting', 'Connection lost; reconnecting…');
    });
  }

  /** A day picked (or the latest hour): the URL says it, so a reload or a shared link shows the same. */
  function pick(day) {
    selectedDay = day || null;
    window.history.replaceState(null, '', selectedDay ? '?day=' + encodeURIComponent(selectedDay) : window.location.pathname);
    setState('connecting', 'Loading ' + (selectedDay ? selectedDay : 'the ' + LATEST_TITLE) + '…');
    connect();
  }

  function start() {
    byId('day-select').addEventListener('change', function (ev) { pick(ev.target.value); });
    connect();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
`;
