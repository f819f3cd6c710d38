/** Every simulation, by the name `npm run test:sim -- --sim NAME` takes. */
import { ingestCommands, ingestParams, type IngestParams, runIngest } from './ingest/ingest-sim';
import type fc from 'fast-check';
import { TARGETED_INGEST } from './ingest/targeted';
import type { SimRun } from './runner';

export const SIMULATIONS: Record<string, SimRun<never, never>> = {
  /** Everything the ingest commands can do. */
  ingest: { name: 'ingest', params: ingestParams, commands: ingestCommands(14), run: runIngest },
  /** The same, but no process is asked twice for one object (so issue 14 item 1 does not hide the rest). */
  'ingest-across': { name: 'ingest-across', params: ingestParams, commands: ingestCommands(14), run: (s: fc.Scheduler, p: IngestParams, c: Parameters<typeof runIngest>[2]) => runIngest(s, p, c, true) },
  ...TARGETED_INGEST,
} as unknown as Record<string, SimRun<never, never>>;
