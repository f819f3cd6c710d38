/** The fault suite's global setup: the integration setup (build, stack) and a fresh results file. */
import fs from 'node:fs';
import integrationSetup from '../global-setup';
import { RESULTS_FILE } from './reliability';

export default async function globalSetup(): Promise<void> {
  fs.rmSync(RESULTS_FILE, { force: true });
  await integrationSetup();
}
