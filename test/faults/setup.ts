/** The fault suite's global setup: the integration setup (build, stack) and a fresh results file. */
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/system/config/paths';
import integrationSetup from '../global-setup';
import { resultsFile } from '../support/reliability';

export default async function globalSetup(): Promise<void> {
  // Set before jest starts its workers, which inherit it: this run's rows only.
  process.env.LOGPIPE_FAULTS_RESULTS = path.join(packageRoot(), '.stack', `reliability.${process.pid}.${Date.now()}.jsonl`);
  fs.rmSync(resultsFile(), { force: true });
  await integrationSetup();
}
