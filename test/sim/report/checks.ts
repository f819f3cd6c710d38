/**
 * The report invariants, checked against the broker's logs and the mail provider's deliveries:
 * - every window that holds entries is on the report topic exactly once, with the counts the
 *   uploaded objects say (computed from the generator's entries, not by our parser), nothing late;
 *   no report for a window without entries;
 * - every alerting window's email was delivered, and delivered again at most once per disruption
 *   (a crash, a pause, a failed or unanswered request, an outage) that hit a process which had
 *   delivered it while its pending-email record was not yet deleted: "a repeated email needs a
 *   crash between that send and its record".
 */
import { LEVELS } from '../../../src/model/levels';
import type { FakeBroker } from '../kafka/broker';
import type { SimEntry } from '../objects';
import type { World } from '../runtime/world';
import type { Delivery } from './node';

interface Doc {
  id: string;
  startMs: number;
  counts: Record<string, number>;
  total: number;
  late: number;
  alert: { alert: boolean };
}

/** Per window start: the count of entries per level. */
export function truthWindows(entries: SimEntry[], sizeMs: number): Map<number, Record<string, number>> {
  const windows = new Map<number, Record<string, number>>();
  for (const e of entries) {
    const start = Math.floor(e.timeMs / sizeMs) * sizeMs;
    const counts = windows.get(start) ?? Object.fromEntries(LEVELS.map((l) => [l, 0]));
    counts[e.level]++;
    windows.set(start, counts);
  }
  return windows;
}

/** The reports committed on the report topic, in order. */
export function committedReports(broker: FakeBroker, topic: string): Doc[] {
  return broker
    .partition(topic, 0)
    .committed()
    .map((r) => JSON.parse(r.value?.toString() ?? '{}') as Doc);
}

export function checkReports(broker: FakeBroker, reportTopic: string, truth: Map<number, Record<string, number>>): string[] {
  const problems: string[] = [];
  const seen = new Map<number, Doc[]>();
  for (const d of committedReports(broker, reportTopic)) seen.set(d.startMs, [...(seen.get(d.startMs) ?? []), d]);
  for (const [start, counts] of [...truth].sort((a, b) => a[0] - b[0])) {
    const docs = seen.get(start) ?? [];
    const when = new Date(start).toISOString().slice(11, 19);
    if (docs.length === 0) {
      problems.push(`window ${when}: never reported (expected ${JSON.stringify(counts)})`);
      continue;
    }
    if (docs.length > 1) problems.push(`window ${when}: reported ${docs.length} times: ${docs.map((d) => JSON.stringify(d.counts)).join(' ')}`);
    const d = docs[0];
    const wrong = LEVELS.filter((l) => (d.counts[l] ?? 0) !== counts[l]);
    if (wrong.length) problems.push(`window ${when}: counts ${wrong.map((l) => `${l} ${d.counts[l] ?? 0} (true ${counts[l]})`).join(', ')}`);
    if (d.late) problems.push(`window ${when}: ${d.late} late records`);
  }
  for (const [start, docs] of seen) if (!truth.has(start)) problems.push(`window ${new Date(start).toISOString().slice(11, 19)}: reported (${docs.length}x, ${JSON.stringify(docs[0].counts)}) but holds no entry`);
  return problems;
}

/**
 * When each window's pending-email record was deleted (its tombstone committed: the commit marker
 * written), from the state topic; absent when it never was.
 */
function emailSettledAt(broker: FakeBroker, stateTopic: string): Map<string, number> {
  const settled = new Map<string, number>();
  const waiting = new Map<number, string[]>();
  for (const r of broker.partition(stateTopic, 0).records) {
    if (r.control) {
      const keys = waiting.get(r.producerId) ?? [];
      waiting.delete(r.producerId);
      if (r.control === 'COMMIT') for (const k of keys) if (!settled.has(k)) settled.set(k, Number(r.timestamp));
      continue;
    }
    const key = r.key?.toString() ?? '';
    if (!key.startsWith('email ') || r.value !== null) continue;
    waiting.set(r.producerId, [...(waiting.get(r.producerId) ?? []), key.slice(key.lastIndexOf(' ') + 1)]);
  }
  return settled;
}

export interface Disruption {
  atMs: number;
  process: string;
  what: string;
}

export function checkEmails(broker: FakeBroker, world: World, reportTopic: string, stateTopic: string, deliveries: Delivery[], disruptions: Disruption[]): string[] {
  const problems: string[] = [];
  const alerting = committedReports(broker, reportTopic).filter((d) => d.alert.alert);
  const settled = emailSettledAt(broker, stateTopic);
  const faults: Disruption[] = world.faultLog.map((f) => ({ atMs: f.atMs, process: f.process, what: `${f.kind} ${f.label}` }));
  const all = [...disruptions, ...faults];
  // A disruption that hit a process holding a delivered, unsettled email may repeat one email:
  // the one it was sending. Per window, and in all (issue 14 item 7: a crash repeated fifty).
  const paying = new Set<Disruption>();
  let repeats = 0;
  for (const d of alerting) {
    const mine = deliveries.filter((x) => x.window === d.id);
    if (mine.length === 0) {
      problems.push(`window ${d.id}: alerting, but no email was delivered`);
      continue;
    }
    const until = settled.get(d.id) ?? Infinity;
    // From the moment a process issued its first send of this email: a crash while the request was
    // under way (accepted by the provider only afterwards) is a disruption between send and settle.
    const firstBy = new Map<string, number>();
    for (const x of mine) if (!firstBy.has(x.process) || x.sentAtMs < firstBy.get(x.process)!) firstBy.set(x.process, x.sentAtMs);
    const allowed = all.filter((e) => firstBy.has(e.process) && e.atMs >= firstBy.get(e.process)! && e.atMs <= until);
    for (const e of allowed) paying.add(e);
    repeats += mine.length - 1;
    if (mine.length > 1 + allowed.length) {
      problems.push(
        `window ${d.id}: email delivered ${mine.length} times (${mine.map((x) => `${x.process}@${x.atMs % 1_000_000}`).join(', ')}), but only ${allowed.length} disruption(s) between a send and its settling${allowed.length ? ` (${allowed.map((e) => `${e.process} ${e.what}`).join('; ')})` : ''}`,
      );
    }
  }
  if (repeats > paying.size) problems.push(`${repeats} repeated emails in all, for ${paying.size} disruption(s) between sends and their settling: a disruption repeats at most the email in flight`);
  for (const x of deliveries) if (!alerting.some((d) => d.id === x.window)) problems.push(`an email for window ${x.window}, which is not an alerting report`);
  return problems;
}
