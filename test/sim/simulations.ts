/** Every simulation, by the name `npm run test:sim -- --sim NAME` takes. */
import { ingestCommands, ingestParams, type IngestParams, runIngest } from './ingest/ingest-sim';
import type fc from 'fast-check';
import { TARGETED_INGEST } from './ingest/targeted';
import { reportCommands, reportParams, runReport } from './report/report-sim';
import { TARGETED_REPORT } from './report/targeted';
import type { SimRun } from './runner';

export const SIMULATIONS: Record<string, SimRun<never, never>> = {
  /** Everything the ingest commands can do. */
  ingest: { name: 'ingest', params: ingestParams, commands: (replayPath?: string) => ingestCommands(14, replayPath), run: runIngest },
  /** The same, but no process is asked twice for one object (so issue 14 item 1 does not hide the rest). */
  'ingest-across': { name: 'ingest-across', params: ingestParams, commands: (replayPath?: string) => ingestCommands(14, replayPath), run: (s: fc.Scheduler, p: IngestParams, c: Parameters<typeof runIngest>[2]) => runIngest(s, p, c, true) },
  ...TARGETED_INGEST,
  /** The whole pipeline: a feeder ingests, report processes crash, pause, lose the broker; every window once, true counts, emails. */
  report: { name: 'report', params: reportParams, commands: (replayPath?: string) => reportCommands(12, replayPath), run: runReport },
  ...TARGETED_REPORT,
} as unknown as Record<string, SimRun<never, never>>;
