/**
 * How far V8 lets the heap grow past what its last full garbage collection found alive.
 *
 * Ingest keeps little alive (about 36 MB of heap after a full collection, most of it loaded code
 * and the batches in flight) but allocates fast: kafkajs encodes every record through several
 * short-lived Encoders, and the records of a batch live until its transaction commits, so the young
 * generation promotes a steady stream of soon-dead objects into the old one. On a machine whose
 * heap limit is 2 GB or more (any host with 8 GB of memory or more) V8 then lets the old generation
 * reach up to 4× the live heap before it collects again: a 36 MB live heap ran at 140–150 MB, and
 * `logpipe ingest` peaked at 250–290 MiB whatever the object's size (docs/benchmarks.md, "Memory").
 * A fixed factor of 1 + percent/100 bounds that; the measured trade between memory and CPU is in
 * docs/benchmarks.md ("Ingest memory").
 *
 * V8 reads the flag each time it sizes the heap after a full collection, so setting it in a running
 * process takes effect at the next one; it is process-wide (the report stage of a `logpipe start`
 * with an in-memory worker shares it).
 */
import v8 from 'node:v8';

/** The V8 flag for a growing percent; undefined for 0 (V8's own, dynamic factor). */
export function heapGrowingFlag(percent: number): string | undefined {
  if (!Number.isSafeInteger(percent) || percent < 0) throw new RangeError(`heap growing percent must be a whole number >= 0, got ${percent}`);
  return percent === 0 ? undefined : `--heap-growing-percent=${percent}`;
}

let applied: string | undefined;

/**
 * Sets the heap growing factor of this process to 1 + percent/100 (0: V8's own). Returns the flag in
 * force for that percent, undefined for 0. Setting it again with the same value does nothing; a
 * different value replaces it, and 0 gives V8 its own factor back.
 */
export function limitHeapGrowth(percent: number, setFlags: (flags: string) => void = (f) => v8.setFlagsFromString(f)): string | undefined {
  const flag = heapGrowingFlag(percent);
  if (flag === applied) return flag;
  setFlags(flag ?? '--heap-growing-percent=0');
  applied = flag;
  return flag;
}
