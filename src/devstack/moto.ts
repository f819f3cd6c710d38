/**
 * The local moto server (S3, SQS, SSM in one process), installed from infra/moto/requirements.txt
 * into a venv in the stack folder; reinstalled when the requirements change.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LogpipeConfig } from '../system/config/config';
import { packageRoot } from '../system/config/paths';
import { PYTHON } from './prereqs';
import { runLogged } from './process';
import type { StackService } from './service';

export function motoService(config: LogpipeConfig, stackDir: string): StackService {
  const port = config.stack.motoPort;
  const venv = path.join(stackDir, 'venv');
  const requirements = path.join(packageRoot(), 'infra', 'moto', 'requirements.txt');
  const marker = path.join(venv, '.logpipe-requirements');
  const installLog = path.join(stackDir, 'logs', 'moto-install.log');
  const server = path.join(venv, 'bin', 'moto_server');
  const wanted = (): string => crypto.createHash('sha256').update(fs.readFileSync(requirements)).digest('hex');
  const installed = (): boolean => fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === wanted();

  return {
    name: 'moto',
    port,
    identity: server,
    prerequisites: () => (installed() ? [] : [PYTHON]),
    async prepare(log) {
      if (installed()) return;
      log(`installing moto into ${venv}`);
      if (!fs.existsSync(path.join(venv, 'bin', 'python'))) {
        await runLogged(installLog, 'python3', ['-m', 'venv', venv], 'creating the Python venv (needs python3-venv)');
      }
      const pip = path.join(venv, 'bin', 'pip');
      await runLogged(installLog, pip, ['install', '--disable-pip-version-check', '-q', '-r', requirements], 'pip install of moto');
      fs.writeFileSync(marker, `${wanted()}\n`);
    },
    spawnSpec: () => ({
      command: server,
      args: ['-H', '127.0.0.1', '-p', String(port)],
      cwd: stackDir,
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    }),
    // The dashboard page, not /moto-api/data.json: that one serialises every model and answers 500
    // once a bucket was deleted while moto still lists its keys (moto 5.2.5), so a running moto
    // with such state would never look ready.
    probe: () => httpOk(`http://127.0.0.1:${port}/moto-api/`),
    async describe() {
      const version = fs.readdirSync(path.join(venv, 'lib')).flatMap((py) => {
        const site = path.join(venv, 'lib', py, 'site-packages');
        return fs.existsSync(site) ? fs.readdirSync(site).filter((d) => /^moto-[\d.]+\.dist-info$/.test(d)) : [];
      })[0];
      return `moto ${version ? version.replace(/^moto-|\.dist-info$/g, '') : '?'} (S3, SQS, SSM; http://127.0.0.1:${port})`;
    },
  };
}

/** True when an HTTP GET answers 2xx within a second. */
export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}
