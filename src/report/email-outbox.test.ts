import type { Logger } from '../system/observability/logging';
import { type EmailOutboxContext, EmailOutbox, scopeOf } from './email-outbox';
import type { MergeTask } from './merge-task';
import type { PendingEmail } from './state';
import type { EmailTransport, TransportOutcome } from './transport';
import { resolveWindowOptions, WindowAggregator } from './window';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

function pending(startMs: number): PendingEmail {
  const agg = new WindowAggregator(resolveWindowOptions({ mode: 'event', sizeMs: MINUTE, closeOnAdd: false }), () => startMs);
  agg.add({ timeMs: startMs, arrivalMs: startMs, level: 'ERROR', source: 'host-a', message: 'disk full' });
  agg.add({ timeMs: startMs + 1, arrivalMs: startMs, level: 'ERROR', source: 'host-a', message: 'disk full' });
  const [report] = agg.flushOpen();
  return { report, decision: { alert: true, reasons: ['ERROR 2 > 1'], suppressed: undefined, lastAlertStartMs: startMs }, record: undefined };
}

/** A merge task as the outbox sees it: its pending emails, a settle that records what it was given. */
function mergeTask(emails: PendingEmail[]): { task: MergeTask; settles: Array<[string, PendingEmail | undefined]>; settle: jest.Mock } {
  const settles: Array<[string, PendingEmail | undefined]> = [];
  const map = new Map(emails.map((e) => [e.report.id, e]));
  const settle = jest.fn(async (id: string, p: PendingEmail | undefined) => {
    settles.push([id, p]);
    if (p) map.set(id, p);
    else map.delete(id);
  });
  const task = { emails: map, writer: { dropped: false }, run: <T>(fn: () => Promise<T>) => fn(), settle } as unknown as MergeTask;
  return { task, settles, settle };
}

function logger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { log: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } as unknown as Logger, lines };
}

function setUp(task: MergeTask, send: (n: number) => TransportOutcome, over: Partial<EmailOutboxContext> = {}) {
  let now = T0 + 10 * MINUTE;
  const sent: string[] = [];
  const transport: EmailTransport = {
    kind: 'file',
    describe: () => 'test',
    close: async () => undefined,
    send: jest.fn(async (email) => {
      sent.push(email.idempotencyKey);
      return send(sent.length);
    }),
  };
  const outcomes: Array<[string, string]> = [];
  const { log, lines } = logger();
  const ctx: EmailOutboxContext = {
    transport,
    log,
    now: () => now,
    retry: { initialDelayMs: 1_000, maxDelayMs: 8_000 },
    from: 'logpipe@example.com',
    to: ['ops@example.com'],
    groupId: 'logpipe-report',
    topic: 'logpipe.lines',
    mergeTask: async () => task,
    stopped: () => false,
    mayStart: () => true,
    stillHolds: () => true,
    onOutcome: (id, outcome) => void outcomes.push([id, outcome]),
    ...over,
  };
  const outbox = new EmailOutbox(ctx);
  return { outbox, sent, outcomes, lines, advance: (ms: number) => (now += ms) };
}

describe('EmailOutbox', () => {
  it('sends each due email and settles it (its record deleted) as soon as the provider accepted it', async () => {
    const a = pending(T0);
    const b = pending(T0 + MINUTE);
    const { task, settles } = mergeTask([a, b]);
    const { outbox, sent, outcomes, lines } = setUp(task, (n) => ({ ok: true, providerMessageId: `m-${n}` }));
    await outbox.sendDue();
    expect(sent).toHaveLength(2);
    expect(sent[0]).toContain('logpipe-report.logpipe_2elines.60000.');
    expect(settles).toEqual([
      [a.report.id, undefined],
      [b.report.id, undefined],
    ]);
    expect(outcomes).toEqual([
      [a.report.id, 'sent'],
      [b.report.id, 'sent'],
    ]);
    expect(outbox.stats).toEqual({ emailsSent: 2, emailsFailed: 0 });
    expect(lines.filter((l) => l === 'info: alert email sent')).toHaveLength(2);
    expect(outbox.inFlight).toBeUndefined();
    outbox.stop();
  });

  // Latency (issue 17): a report committed while a round was sending waited for the next tick (up to
  // a second) before its email went out, since sendDue returned at once during a round.
  it('sends an email that became due during a round right after that round, without waiting for a tick', async () => {
    const a = pending(T0);
    const b = pending(T0 + MINUTE);
    const { task } = mergeTask([a]);
    let outbox!: EmailOutbox;
    const set = setUp(task, (n) => {
      if (n === 1) {
        // The merge task commits b's report while a is with the provider, and asks for a send.
        task.emails.set(b.report.id, b);
        void outbox.sendDue();
      }
      return { ok: true, providerMessageId: `m-${n}` };
    });
    outbox = set.outbox;
    await outbox.sendDue();
    // The follow-up round runs on its own; let its promises settle.
    for (let i = 0; i < 200 && set.sent.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(set.sent).toHaveLength(2);
    expect(task.emails.size).toBe(0);
    outbox.stop();
  });

  it('drops a permanently rejected email (settled, not retried)', async () => {
    const a = pending(T0);
    const { task, settles } = mergeTask([a]);
    const { outbox, sent, outcomes, lines } = setUp(task, () => ({ ok: false, error: '554 rejected', transient: false }));
    await outbox.sendDue();
    await outbox.sendDue();
    expect(sent).toHaveLength(1);
    expect(settles).toEqual([[a.report.id, undefined]]);
    expect(outcomes).toEqual([[a.report.id, 'failed-permanent']]);
    expect(outbox.stats).toEqual({ emailsSent: 0, emailsFailed: 1 });
    expect(lines).toContain('error: alert email rejected; not retried');
    outbox.stop();
  });

  it('keeps a transiently failed email with its failure recorded, and retries it once the backoff has passed', async () => {
    const a = pending(T0);
    const { task, settles } = mergeTask([a]);
    const { outbox, sent, outcomes, advance } = setUp(task, (n) => (n === 1 ? { ok: false, error: 'throttled', transient: true } : { ok: true, providerMessageId: 'm' }));
    await outbox.sendDue();
    expect(settles).toHaveLength(1);
    expect(settles[0][1]?.record).toMatchObject({ failures: 1 });
    await outbox.sendDue();
    expect(sent).toHaveLength(1);
    advance(1_000);
    await outbox.sendDue();
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBe(sent[0]);
    expect(outcomes.map(([, o]) => o)).toEqual(['failed-transient', 'sent']);
    expect(task.emails.size).toBe(0);
    outbox.stop();
  });

  it('settles an email the provider answered whose settle failed without sending it again', async () => {
    const a = pending(T0);
    const { task, settle } = mergeTask([a]);
    settle.mockRejectedValueOnce(new Error('broker unreachable'));
    const { outbox, sent, lines } = setUp(task, () => ({ ok: true, providerMessageId: 'm' }));
    await outbox.sendDue();
    expect(lines.some((l) => l.startsWith('warn: could not record a sent alert email'))).toBe(true);
    expect(lines).toContain('warn: sending alert emails failed; retrying on the next tick');
    expect(task.emails.size).toBe(1);
    await outbox.sendDue();
    expect(sent).toHaveLength(1);
    expect(task.emails.size).toBe(0);
    outbox.stop();
  });

  it('sends nothing more once the merge task is no longer this process\'s, and nothing when it may not start', async () => {
    const a = pending(T0);
    const b = pending(T0 + MINUTE);
    const { task } = mergeTask([a, b]);
    let holds = true;
    const { outbox, sent } = setUp(task, () => {
      holds = false;
      return { ok: true, providerMessageId: 'm' };
    }, { stillHolds: () => holds });
    await outbox.sendDue();
    expect(sent).toHaveLength(1);
    const idle = setUp(mergeTask([a]).task, () => ({ ok: true, providerMessageId: 'm' }), { mayStart: () => false });
    await idle.outbox.sendDue();
    expect(idle.sent).toEqual([]);
    outbox.stop();
  });

  it('says an email is in flight from its send until its settle', async () => {
    const a = pending(T0);
    const { task, settle } = mergeTask([a]);
    let release!: () => void;
    settle.mockImplementationOnce(() => new Promise<void>((r) => (release = r)));
    const { outbox } = setUp(task, () => ({ ok: true, providerMessageId: 'm' }));
    const round = outbox.sendDue();
    while (!release) await new Promise((r) => setImmediate(r));
    const inFlight = outbox.inFlight;
    expect(inFlight).toBeDefined();
    let landed = false;
    void inFlight?.then(() => (landed = true));
    await new Promise((r) => setImmediate(r));
    expect(landed).toBe(false);
    release();
    await round;
    expect(landed).toBe(true);
    expect(outbox.inFlight).toBeUndefined();
    outbox.stop();
  });
});

describe('scopeOf', () => {
  it('keeps letters, digits, _ and - of the group id and writes _ for the rest', () => {
    expect(scopeOf('logpipe-report')).toBe('logpipe-report');
    expect(scopeOf('team.a/report:1')).toBe('team_a_report_1');
  });
});
