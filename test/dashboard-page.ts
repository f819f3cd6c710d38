/**
 * Reading the dashboard page (src/system/control/dashboard/) in a browser test: what its accessible table shows and
 * what Chart.js holds and painted. Relies on the ids and data attributes listed in
 * src/system/control/dashboard/client.ts.
 */
import type { Page } from 'playwright-core';

/** What the page's own table says about each window. */
export async function tableWindows(page: Page): Promise<Array<{ id: string; alert: string; counts: Record<string, number>; total: number }>> {
  return page.$$eval('#windows-body tr', (rows) =>
    rows.map((tr) => ({
      id: tr.getAttribute('data-window-id') ?? '',
      alert: tr.getAttribute('data-alert') ?? '',
      counts: Object.fromEntries([...tr.querySelectorAll('td[data-level]')].map((td) => [td.getAttribute('data-level'), Number(td.getAttribute('data-count'))])),
      total: Number(tr.querySelector('td[data-total]')?.getAttribute('data-total')),
    })),
  );
}

/** What Chart.js holds, and the colour the canvas shows in the middle of each window's ERROR bar. */
export async function chartState(page: Page): Promise<{ type: string; stacked: [boolean, boolean]; labels: string[]; datasets: Array<{ label: string; data: number[] }>; errorPixels: Array<string | null> }> {
  return page.evaluate(() => {
    interface BarElement { x: number; y: number; base: number }
    interface ChartLike {
      config: { type: string };
      options: { scales: { x: { stacked: boolean }; y: { stacked: boolean } } };
      data: { labels: string[]; datasets: Array<{ label: string; data: number[] }> };
      currentDevicePixelRatio: number;
      canvas: { getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
      getDatasetMeta(i: number): { data: BarElement[] };
    }
    const chart = (globalThis as unknown as { Chart: { getChart(id: string): ChartLike | undefined } }).Chart.getChart('levels-chart');
    if (!chart) throw new Error('Chart.js has no chart on #levels-chart');
    const ctx = chart.canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d context');
    const ratio = chart.currentDevicePixelRatio;
    const errorIndex = chart.data.datasets.findIndex((d) => d.label === 'ERROR');
    const errorPixels = chart.getDatasetMeta(errorIndex).data.map((bar, i) => {
      if (chart.data.datasets[errorIndex].data[i] === 0) return null;
      const [r, g, b] = ctx.getImageData(Math.round(bar.x * ratio), Math.round(((bar.y + bar.base) / 2) * ratio), 1, 1).data;
      return `rgb(${r},${g},${b})`;
    });
    return {
      type: chart.config.type,
      stacked: [chart.options.scales.x.stacked, chart.options.scales.y.stacked],
      labels: [...chart.data.labels],
      datasets: chart.data.datasets.map((d) => ({ label: d.label, data: [...d.data] })),
      errorPixels,
    };
  });
}

/** The range the page shows: its view (`latest` or the day), title, note, and the day choices offered. */
export async function rangeState(page: Page): Promise<{ view: string | null; title: string; note: string; selected: string; options: Array<{ value: string; text: string }> }> {
  const select = await page.$eval('#day-select', (el) => {
    const s = el as unknown as { value: string; options: ArrayLike<{ value: string; text: string }> };
    return { selected: s.value, options: Array.from(s.options, (o) => ({ value: o.value, text: o.text })) };
  });
  return {
    view: await page.getAttribute('body', 'data-view'),
    title: (await page.textContent('#windows-title')) ?? '',
    note: (await page.textContent('#range-note')) ?? '',
    ...select,
  };
}
