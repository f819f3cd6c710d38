/** The fault suite's global teardown: renders docs/reliability.md, then the integration teardown. */
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/system/config/paths';
import integrationTeardown from '../global-teardown';
import { parseReliability, renderReliability, resultsFile, type ScenarioRow } from '../support/reliability';

export default async function globalTeardown(): Promise<void> {
  const results = resultsFile();
  if (fs.existsSync(results)) {
    const fresh = fs.readFileSync(results, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ScenarioRow);
    const doc = path.join(packageRoot(), 'docs', 'reliability.md');
    // A run of some scenarios (--testPathPatterns) replaces their rows and keeps the others'.
    const ran = new Set(fresh.map((r) => r.id));
    const kept = fs.existsSync(doc) ? parseReliability(fs.readFileSync(doc, 'utf8')).filter((r) => !ran.has(r.id)) : [];
    const rows = [...kept, ...fresh].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
    fs.writeFileSync(doc, renderReliability(rows, new Date()));
    // The run's own file (named by the setup) has served; the document holds its rows.
    if (process.env.LOGPIPE_FAULTS_RESULTS) fs.rmSync(results, { force: true });
    process.stderr.write(`[faults] docs/reliability.md: ${rows.length} rows, ${rows.filter((r) => !r.result.startsWith('pass')).length} not passing\n`);
  }
  await integrationTeardown();
}
