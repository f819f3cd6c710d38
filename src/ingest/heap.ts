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

/**
 * The young generation of the process that ingests: V8's `--max-semi-space-size` (MiB). Ingest
 * allocates fast and keeps each batch's records alive until its commit, so a young generation of
 * V8's default size (16 MiB semi-spaces on 64-bit hosts, 32 MiB in all) is mostly garbage at the
 * peak; 2 MiB semi-spaces took about 36 MiB off the peak RSS of an ingest, 8 MiB about 25
 * (docs/benchmarks.md, "Ingest memory"). Unlike --heap-growing-percent, V8 reads this flag only
 * when it sets the heap up: setting it in a running process does nothing, so it must be on the
 * command line (or in NODE_OPTIONS) of the process that ingests: src/cli/relaunch.ts starts
 * `logpipe ingest` again with it, src/system/runtime/pipeline.ts forks the ingest workers with it.
 */
export const SEMI_SPACE_FLAG = '--max-semi-space-size';

/**
 * The semi-space size (MiB) for ingest.maxSemiSpaceMiB on `client` when the key is 0: the smallest
 * size measured to lower the peak without costing more than about 10 % CPU. On librdkafka 2 MiB
 * cost nothing measurable; kafkajs's encoders keep more short-lived objects alive across a young
 * collection, and 2 MiB cost it about 16 % CPU (per round 0.97–1.35×), 8 MiB none measurable
 * (medians 0.99–1.03×) (docs/benchmarks.md, "Ingest memory").
 */
export const SEMI_SPACE_MIB_BY_CLIENT: Readonly<Record<string, number>> = { librdkafka: 2, kafkajs: 8 };

/** The V8 flag for ingest.maxSemiSpaceMiB `mib` on `client` (0: SEMI_SPACE_MIB_BY_CLIENT). */
export function semiSpaceFlag(mib: number, client: string): string | undefined {
  if (!Number.isSafeInteger(mib) || mib < 0) throw new RangeError(`semi-space size must be a whole number of MiB >= 0, got ${mib}`);
  const size = mib === 0 ? SEMI_SPACE_MIB_BY_CLIENT[client] : mib;
  return size === undefined ? undefined : `${SEMI_SPACE_FLAG}=${size}`;
}

/**
 * Whether the process's flags already size the young generation (node's execArgv or NODE_OPTIONS
 * name --max-semi-space-size, in either spelling: V8 takes `-` and `_` alike). An operator's own
 * value wins over the configured one, and a process started with the flag is not started again.
 */
export function semiSpaceGiven(execArgv: readonly string[], nodeOptions = ''): boolean {
  const names = [...execArgv, ...nodeOptions.split(/\s+/)].map((a) => a.split('=')[0].replace(/_/g, '-'));
  return names.includes(SEMI_SPACE_FLAG);
}

/** V8's young generation now: the new space's size in bytes (two semi-spaces; grows up to twice the flag's MiB). */
export function newSpaceBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}
