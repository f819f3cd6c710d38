/**
 * One partition's log as a broker keeps it: records at consecutive offsets, grouped in record
 * batches (one per produce request and partition), transaction markers (control records) occupying
 * offsets of their own, the open transactions that hold the last stable offset back, and the
 * aborted transactions a read_committed reader must skip. Compaction is not modelled: every record
 * stays (a reader of a compacted topic must cope with either).
 */

export interface LogRecord {
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  /** Epoch ms as a string (kafkajs's type). */
  timestamp: string;
  /** -1 for a producer without a producer id. */
  producerId: number;
  producerEpoch: number;
  transactional: boolean;
  /** Set on a transaction marker. */
  control?: 'COMMIT' | 'ABORT';
  /** The record batch it was written in. */
  batch: number;
}

export type NewRecord = Omit<LogRecord, 'offset' | 'batch'>;

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  /** The offset of its abort marker. */
  lastOffset: number;
}

export interface ReadResult {
  /** Raw records (control and aborted ones included), whole batches, from the batch holding the fetch offset. */
  records: LogRecord[];
  /** Aborted transactions with records in the range read (what a Fetch answer lists). */
  abortedTransactions: Array<{ producerId: number; firstOffset: number }>;
  highWatermark: number;
  lastStableOffset: number;
}

export class PartitionLog {
  readonly records: LogRecord[] = [];
  /** Producer id → first offset of its open transaction in this partition. */
  private readonly open = new Map<number, number>();
  readonly aborted: AbortedTxn[] = [];
  private batches = 0;
  /** Called after every append (wakes long-polling fetches). */
  onAppend: (() => void) | undefined;

  get highWatermark(): number {
    return this.records.length;
  }

  /** The first offset a read_committed reader cannot see yet: the oldest open transaction's first record. */
  get lastStableOffset(): number {
    let lso = this.records.length;
    for (const first of this.open.values()) lso = Math.min(lso, first);
    return lso;
  }

  /** Whether `producerId` has an open transaction with records here. */
  hasOpen(producerId: number): boolean {
    return this.open.has(producerId);
  }

  /** Appends one record batch; returns its first offset. */
  append(records: NewRecord[]): number {
    const first = this.records.length;
    const batch = this.batches++;
    for (const r of records) {
      if (r.transactional && !r.control && !this.open.has(r.producerId)) this.open.set(r.producerId, this.records.length);
      this.records.push({ ...r, offset: this.records.length, batch });
    }
    this.onAppend?.();
    return first;
  }

  /** Ends `producerId`'s transaction here with a marker (a batch of its own). A no-op when it has no records here. */
  mark(producerId: number, producerEpoch: number, commit: boolean, timestampMs: number): void {
    const first = this.open.get(producerId);
    if (first === undefined) return;
    this.open.delete(producerId);
    const markerOffset = this.records.length;
    if (!commit) this.aborted.push({ producerId, firstOffset: first, lastOffset: markerOffset });
    this.append([{ key: null, value: null, headers: {}, timestamp: String(timestampMs), producerId, producerEpoch, transactional: true, control: commit ? 'COMMIT' : 'ABORT' }]);
  }

  /**
   * What a Fetch from `offset` returns: whole record batches below the isolation level's limit
   * (the last stable offset for read_committed), at most `maxBatches` of them.
   */
  read(offset: number, readCommitted: boolean, maxBatches = Infinity): ReadResult {
    const limit = readCommitted ? this.lastStableOffset : this.highWatermark;
    const out: LogRecord[] = [];
    if (offset < limit) {
      // The whole batch holding `offset` (a real broker answers with whole batches).
      let i = offset;
      while (i > 0 && this.records[i - 1].batch === this.records[offset].batch) i--;
      let batches = 0;
      let lastBatch = -1;
      for (; i < limit; i++) {
        const r = this.records[i];
        if (r.batch !== lastBatch) {
          if (batches >= maxBatches) break;
          batches++;
          lastBatch = r.batch;
        }
        out.push(r);
      }
      // A batch is never cut: finish the last one if the limit falls inside it (cannot happen for
      // read_committed, whose limit is a transaction's first record, a batch start).
    }
    const from = out.length ? out[0].offset : offset;
    const to = out.length ? out[out.length - 1].offset : offset - 1;
    const abortedTransactions = readCommitted
      ? this.aborted.filter((a) => a.firstOffset <= to && a.lastOffset >= from).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }))
      : [];
    return { records: out, abortedTransactions, highWatermark: this.highWatermark, lastStableOffset: this.lastStableOffset };
  }

  /** The records a read_committed reader sees below the last stable offset, in order (the oracle's view). */
  committed(): LogRecord[] {
    const lso = this.lastStableOffset;
    const out: LogRecord[] = [];
    for (const r of this.records) {
      if (r.offset >= lso) break;
      if (r.control) continue;
      if (r.transactional && this.isAborted(r)) continue;
      out.push(r);
    }
    return out;
  }

  /** Records of transactions still open, past the last stable offset (the oracle's view of what is undecided). */
  undecided(): LogRecord[] {
    return this.records.filter((r) => !r.control && r.transactional && this.open.get(r.producerId) !== undefined && r.offset >= (this.open.get(r.producerId) ?? Infinity));
  }

  private isAborted(r: LogRecord): boolean {
    return this.aborted.some((a) => a.producerId === r.producerId && r.offset >= a.firstOffset && r.offset < a.lastOffset);
  }
}
