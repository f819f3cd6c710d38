/** The fault suite's global teardown: renders docs/reliability.md, then the integration teardown. */
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/system/paths';
import integrationTeardown from '../global-teardown';
import { parseReliability, RESULTS_FILE, renderReliability, type ScenarioRow } from './reliability';

export default async function globalTeardown(): Promise<void> {
  if (fs.existsSync(RESULTS_FILE)) {
    const fresh = fs.readFileSync(RESULTS_FILE, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ScenarioRow);
    const doc = path.join(packageRoot(), 'docs', 'reliability.md');
    // A run of some scenarios (--testPathPatterns) replaces their rows and keeps the others'.
    const ran = new Set(fresh.map((r) => r.id));
    const kept = fs.existsSync(doc) ? parseReliability(fs.readFileSync(doc, 'utf8')).filter((r) => !ran.has(r.id)) : [];
    const rows = [...kept, ...fresh].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
    fs.writeFileSync(doc, renderReliability(rows, new Date()));
    process.stderr.write(`[faults] docs/reliability.md: ${rows.length} rows, ${rows.filter((r) => !r.result.startsWith('pass')).length} not passing\n`);
  }
  await integrationTeardown();
}
