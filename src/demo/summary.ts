/** The demo's closing lines for people (the summary object itself stays in the service log). */
import type { DemoSummary } from './demo';

const n = (x: number): string => x.toLocaleString('en-US');
const plural = (x: number, one: string, many = `${one}s`): string => `${n(x)} ${x === 1 ? one : many}`;

export function summaryLines(s: DemoSummary): string[] {
  return [
    `Summary: ${s.seconds} s; ${plural(s.objectsUploaded, 'object')} uploaded (${plural(s.linesGenerated, 'line')}, ${n(s.errorsGenerated)} ERROR); ${plural(s.windows, 'window')} reported, ${plural(s.alerts, 'alert')}, ${plural(s.emails, 'email')} received.`,
    `  log topic ${s.topic}; reports in ${s.reportsDir}/; inbox ${s.inbox}`,
  ];
}
