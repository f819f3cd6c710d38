/**
 * kafkajs's Batch as the fake consumer hands it out: the raw records of one partition from one
 * fetch (whole record batches, control and aborted records included), the messages an application
 * sees (aborted transactions' records and markers filtered out, as kafkajs's
 * filterAbortedMessages does), and lastOffset() covering the markers read.
 */
import type { LogRecord } from './log';

export interface FakeMessage {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  attributes: number;
  offset: string;
  size: number;
  headers: Record<string, Buffer>;
}

/** kafkajs's Batch: the records of one partition from one fetch. */
export class FakeBatch {
  readonly messages: FakeMessage[];
  private readonly withinOffset: LogRecord[];

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly fetchedOffset: number,
    raw: LogRecord[],
    aborted: Array<{ producerId: number; firstOffset: number }>,
    private readonly high: number,
  ) {
    this.withinOffset = raw.filter((r) => r.offset >= fetchedOffset);
    this.rawCount = raw.length;
    this.messages = filterAborted(this.withinOffset, aborted)
      .filter((r) => !r.control)
      .map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp, attributes: 0, offset: String(r.offset), size: 0, headers: r.headers }));
  }

  private readonly rawCount: number;

  get highWatermark(): string {
    return String(this.high);
  }

  isEmpty(): boolean {
    return this.messages.length === 0;
  }

  isEmptyIncludingFiltered(): boolean {
    return this.withinOffset.length === 0;
  }

  isEmptyDueToFiltering(): boolean {
    return this.isEmpty() && this.rawCount > 0;
  }

  isEmptyControlRecord(): boolean {
    return this.isEmpty() && this.withinOffset.some((r) => r.control !== undefined);
  }

  firstOffset(): string | null {
    return this.isEmptyIncludingFiltered() ? null : String(this.withinOffset[0].offset);
  }

  lastOffset(): string {
    if (this.rawCount > 0 && this.isEmptyIncludingFiltered()) return String(this.fetchedOffset);
    if (this.isEmptyIncludingFiltered()) return String(this.high - 1);
    return String(this.withinOffset[this.withinOffset.length - 1].offset);
  }

  offsetLag(): string {
    return String(this.high - 1 - Number(this.lastOffset()));
  }

  offsetLagLow(): string {
    if (this.isEmptyIncludingFiltered()) return '0';
    return String(this.high - 1 - Number(this.firstOffset()));
  }
}

/**
 * kafkajs's filterAbortedMessages as patched (patches/kafkajs+2.2.4.patch): records of an aborted
 * transaction, from its first offset to its abort marker, are dropped; every aborted transaction
 * that began at or before a record applies (kafkajs as published marked one per record).
 */
function filterAborted(records: LogRecord[], aborted: Array<{ producerId: number; firstOffset: number }>): LogRecord[] {
  if (!aborted.length) return records;
  const remaining = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  const current = new Set<number>();
  return records.filter((r) => {
    while (remaining.length && r.offset >= remaining[0].firstOffset) current.add(remaining.shift()!.producerId);
    if (r.control === 'ABORT') {
      current.delete(r.producerId);
      return true;
    }
    return !(current.has(r.producerId) && r.transactional);
  });
}
