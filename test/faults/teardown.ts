/** The fault suite's global teardown: renders docs/reliability.md, then the integration teardown. */
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/system/paths';
import integrationTeardown from '../global-teardown';
import { RESULTS_FILE, renderReliability, type ScenarioRow } from './reliability';

export default async function globalTeardown(): Promise<void> {
  if (fs.existsSync(RESULTS_FILE)) {
    const rows = fs.readFileSync(RESULTS_FILE, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ScenarioRow);
    fs.writeFileSync(path.join(packageRoot(), 'docs', 'reliability.md'), renderReliability(rows, new Date()));
    process.stderr.write(`[faults] docs/reliability.md: ${rows.length} rows, ${rows.filter((r) => !r.result.startsWith('pass')).length} not passing\n`);
  }
  await integrationTeardown();
}
