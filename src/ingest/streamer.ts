/**
 * Bytes of one object → log entries → Kafka records in batches, each batch carrying the progress
 * to commit with it. Pure apart from the injected sink: memory is bounded by one batch being built,
 * the batches the sink has not acknowledged (at most `maxInFlight`) and the raw lines of the entry
 * the parser is building and of the entries it holds back until their time is settled (before the
 * object's first timed entry, and at a daily file's start: at most HELD_MAX_ENTRIES entries and
 * `maxEntryBytes` of text for each); a slow sink holds push().
 */
import type { Message } from 'kafkajs';
import { type LogEntry, ObjectParser, type ParserCheckpoint, type ParserOptions } from '../model/parser';
import { EVENT_TIME_HEADER } from '../system/config/topic-settings';
import { LineSplitter, type RawLine } from './line-splitter';

export interface Batch {
  /** Records for the log topic, in object order. */
  records: Message[];
  bytes: number;
  /** Progress after this batch: where a resumed stream starts and the parser state there. */
  byteOffset: number;
  lines: number;
  entries: number;
  parser: ParserCheckpoint;
  /** True for the object's last batch (possibly empty). */
  last: boolean;
}

export interface StreamerOptions {
  /** Parser options of objects whose context names none. */
  parser: ParserOptions;
  maxLineBytes: number;
  batchMaxRecords: number;
  batchMaxBytes: number;
  maxInFlight: number;
  /**
   * Where a record's event time goes. `timestamp` (default): the record timestamp. `header`: the
   * EVENT_TIME_HEADER header (epoch ms, decimal), the record timestamp left to the producer (the
   * time of sending), for a log topic that does not accept any timestamp (kafka.topicProfile
   * msk-serverless; src/system/config/topic-settings.ts). The report stage reads either (src/report/records.ts).
   */
  eventTime?: 'timestamp' | 'header';
}

export interface ObjectContext {
  /** Record key: the source id (object key or path). */
  source: string;
  /** Headers every record of this object carries (`object`: its object id, see provenanceOf). */
  headers: Record<string, string>;
  name: string;
  lastModifiedMs: number;
  /**
   * The parser options chosen for this object (parser.sources, src/ingest/source-rules.ts); absent:
   * StreamerOptions.parser. A resumed object must get the same options it started with: they read
   * the lines after the checkpoint (plain data: the context crosses actor boundaries).
   */
  parser?: ParserOptions;
}

/** Where to resume: a committed progress, or the object's start. */
export interface ResumePoint {
  byteOffset: number;
  lines: number;
  entries: number;
  parser?: ParserCheckpoint;
}

export class LineStreamer {
  private readonly splitter: LineSplitter;
  private readonly parser: ObjectParser;
  /** Raw lines read but not yet covered by an emitted entry. */
  private readonly pendingRaw: RawLine[] = [];
  private records: Message[] = [];
  private bytes = 0;
  private offset: number;
  private entries: number;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  /** The names of ctx.headers, in their order (see onEntry). */
  private readonly headerNames: string[];

  constructor(
    private readonly ctx: ObjectContext,
    private readonly options: StreamerOptions,
    /** Receives each batch; its promise settles when the batch is committed. */
    private readonly sink: (batch: Batch) => Promise<void>,
    resume: ResumePoint = { byteOffset: 0, lines: 0, entries: 0 },
  ) {
    this.offset = resume.byteOffset;
    this.headerNames = Object.keys(ctx.headers);
    this.entries = resume.entries;
    const parserOptions = ctx.parser ?? options.parser;
    this.parser = new ObjectParser({ name: ctx.name, lastModifiedMs: ctx.lastModifiedMs }, parserOptions, (e) => this.onEntry(e));
    if (resume.parser) this.parser.restore(resume.parser, parserOptions);
    this.splitter = new LineSplitter(options.maxLineBytes, (l) => this.onLine(l), resume.byteOffset);
  }

  /** Batches cut and handed towards the sink that are not yet committed or failed (for metrics). */
  get inFlightBatches(): number {
    return this.inFlight.size;
  }

  /** Feeds decompressed bytes; resolves once the batches it completed are accepted within the in-flight bound. */
  async push(chunk: Buffer): Promise<void> {
    this.splitter.push(chunk);
    await this.drain();
  }

  /** Ends the object: flushes the last entry and sends the last batch; resolves when all are committed. */
  async end(): Promise<void> {
    this.splitter.end();
    this.parser.end();
    this.cut(true);
    await this.drain(0);
  }

  /**
   * Waits until no batch is in flight any more (committed or failed), sending nothing new. Call it
   * before giving up an object, so that nothing writes with its producer after it is closed.
   */
  async settle(): Promise<void> {
    this.failure ??= new Error('streaming was stopped');
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private onLine(line: RawLine): void {
    this.pendingRaw.push(line);
    this.parser.push(line.raw.toString('utf8'));
  }

  private onEntry(entry: LogEntry): void {
    const raws = this.pendingRaw.splice(0, entry.lineCount);
    if (raws.length === 0) return;
    this.offset = raws[raws.length - 1].end;
    this.entries++;
    const value = raws.length === 1 ? raws[0].raw : joinLines(raws);
    const flags: string[] = [];
    if (raws.some((r) => r.truncated)) flags.push('truncated');
    if (entry.level === 'UNPARSED') flags.push('unparsed');
    if (entry.part > 0) flags.push(`part=${entry.part}`);
    // Built by adding the same keys in the same order to an empty literal, so that every record's
    // headers share one hidden class. A spread of ctx.headers (`{ ...ctx.headers, line, level }`)
    // gave each record's headers a hidden class of its own on Node 20 when ctx.headers is an
    // object literal: 38,577 maps for 38,580 records in a heap snapshot of an ingest, about 250
    // bytes each kept alive with the batches in flight (docs/benchmarks.md, "Ingest memory").
    const headers: Record<string, string> = {};
    for (const name of this.headerNames) headers[name] = this.ctx.headers[name];
    headers.line = String(entry.firstLine);
    headers.level = entry.level;
    if (flags.length) headers.flags = flags.join(',');
    // The report stage lists the most frequent ERROR messages; the parser already found where the
    // message starts, which a consumer could not tell without the object's format.
    if (entry.level === 'ERROR' && entry.part === 0) headers.message = entry.message;
    // Event time; an entry without a time of its own has inherited one from the parser.
    if (this.options.eventTime === 'header') {
      headers[EVENT_TIME_HEADER] = String(entry.timeMs);
      this.records.push({ key: this.ctx.source, value, headers });
    } else {
      this.records.push({ key: this.ctx.source, value, timestamp: String(entry.timeMs), headers });
    }
    this.bytes += value.length;
    if (this.records.length >= this.options.batchMaxRecords || this.bytes >= this.options.batchMaxBytes) this.cut(false);
  }

  private cut(last: boolean): void {
    if (this.records.length === 0 && !last) return;
    const cp = this.parser.checkpoint();
    const batch: Batch = { records: this.records, bytes: this.bytes, byteOffset: this.offset, lines: cp.lines, entries: this.entries, parser: cp, last };
    this.records = [];
    this.bytes = 0;
    // Batches are committed in order: each waits for the one before it.
    const previous = [...this.inFlight].pop() ?? Promise.resolve();
    const sent: Promise<void> = previous
      // After a failure nothing more is sent: a later batch must not commit past a lost one.
      .then(() => (this.failure === undefined ? this.sink(batch) : undefined))
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }

  /** Waits until at most `limit` batches are in flight; rethrows the first sink failure. */
  private async drain(limit = this.options.maxInFlight): Promise<void> {
    while (this.inFlight.size > limit && this.failure === undefined) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }
}

function joinLines(raws: RawLine[]): Buffer {
  const parts: Buffer[] = [];
  raws.forEach((r, i) => {
    if (i > 0) parts.push(NEWLINE);
    parts.push(r.raw);
  });
  return Buffer.concat(parts);
}

const NEWLINE = Buffer.from('\n');
