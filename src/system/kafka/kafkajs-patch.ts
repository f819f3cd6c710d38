/**
 * kafkajs 2.2.4's read_committed consumer can return records of an aborted transaction. Its filter
 * (kafkajs/src/consumer/filterAbortedMessages.js) walks a fetch's records with the fetch's list of
 * aborted transactions and marks **one** aborted transaction per record whose offset reached its
 * first offset. A fetch that begins after the first offset of two aborted transactions (a fetch
 * boundary inside them, or a record compacted away) marks the first at the first record and lets
 * the records of the second through. Seen in the fault suite (R1): a killed ingest process's aborted
 * progress record read as committed by the next process's ledger, which then resumed after lines
 * that were never committed; the report stage's read of the log topic is exposed the same way.
 *
 * patches/kafkajs+2.2.4.patch (applied by patch-package after every `npm ci`/`npm install`; the
 * Dockerfile and shell/install-ec2.sh run it explicitly, as they install with scripts off) marks
 * every aborted transaction that began at or before the record, as the Java consumer does. Every
 * exactly-once read depends on it, so createKafka refuses an unpatched kafkajs.
 */
import { createRequire } from 'node:module';

/** kafkajs's filter: the records of a fetch and its aborted transactions in, the records to expose out. */
export type AbortedFilter = (input: { messages: FilterMessage[]; abortedTransactions: { producerId: string; firstOffset: string }[] }) => FilterMessage[];

interface FilterMessage {
  offset: string;
  key: Buffer | null;
  batchContext: { producerId: string; inTransaction: boolean };
}

/**
 * Whether `filter` drops a record of an aborted transaction when the fetch began after the first
 * offset of another aborted transaction: producer 1's aborted transaction began at offset 0,
 * producer 2's at offset 1, and the fetch begins at offset 1.
 */
export function filtersAbortedTransactions(filter: AbortedFilter): boolean {
  const exposed = filter({
    messages: [{ offset: '1', key: Buffer.from('b'), batchContext: { producerId: '2', inTransaction: true } }],
    abortedTransactions: [
      { producerId: '1', firstOffset: '0' },
      { producerId: '2', firstOffset: '1' },
    ],
  });
  return exposed.length === 0;
}

/** The filter of the kafkajs this process loads (the same module its consumers use). */
export function installedAbortedFilter(): AbortedFilter {
  const requireFromKafkajs = createRequire(require.resolve('kafkajs'));
  return requireFromKafkajs('./src/consumer/filterAbortedMessages') as AbortedFilter;
}

let checked = false;

/** Throws, naming the fix, when the installed kafkajs lacks the patch; checks once per process. */
export function assertKafkajsPatched(filter?: AbortedFilter): void {
  if (checked) return;
  if (!filtersAbortedTransactions(filter ?? installedAbortedFilter())) {
    throw new Error(
      "kafkajs is installed without logpipe's patch (patches/kafkajs+2.2.4.patch): its read_committed consumer would " +
        'return records of aborted transactions, which breaks exactly-once. Apply it with `npx patch-package` in the ' +
        'package directory (npm ci and npm install do it unless run with --ignore-scripts).',
    );
  }
  checked = true;
}
