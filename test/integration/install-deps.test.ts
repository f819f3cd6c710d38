/**
 * Issue 16 item 5: the host installs exactly the locked dependency tree with install scripts off, and
 * not as root. shell/install-ec2.sh needs root, dnf and systemd, so it is not run here; this checks
 * its npm command line, and runs that same command on a package laid out as `npm pack` ships it
 * (npm-shrinkwrap.json beside package.json and dist/) to show that nothing logpipe needs breaks
 * without install scripts: every production dependency loads and `logpipe config` runs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/system/config/paths';

jest.setTimeout(300_000);

const root = packageRoot();
const installer = fs.readFileSync(path.join(root, 'shell', 'install-ec2.sh'), 'utf8');

describe('install-ec2.sh dependencies', () => {
  it('installs from the lockfile with scripts off, as the logpipe user', () => {
    // The one npm command, joined across its continuation line.
    const npmLine = installer.replace(/ *\\\n\s*/g, ' ').split('\n').filter((l) => /"\$npm_bin" (ci|install)/.test(l));
    expect(npmLine).toHaveLength(1);
    expect(npmLine[0]).toMatch(/runuser -u logpipe -- env HOME="\$npm_cache" npm_config_cache="\$npm_cache" "\$npm_bin" ci --omit=dev --omit=optional --ignore-scripts /);
    expect(installer).not.toMatch(/npm(_bin"?)? install\b/);
    expect(installer).toContain('has no npm-shrinkwrap.json');
    // npm runs in a directory of its own: logpipe never owns the tree root runs (dist/, shell/trigger.sh).
    expect(installer).toMatch(/\(cd "\$deps_dir" && runuser -u logpipe /);
    expect(installer).not.toMatch(/chown -R logpipe:logpipe "\$staging"/);
    // patches/ applied explicitly (scripts are off), as the logpipe user too.
    expect(installer).toMatch(/runuser -u logpipe -- env HOME="\$npm_cache" "\$node_bin" node_modules\/patch-package\/index\.js/);
  });

  it('npm pack ships npm-shrinkwrap.json when it is there', () => {
    const shrinkwrap = path.join(root, 'npm-shrinkwrap.json');
    const existed = fs.existsSync(shrinkwrap);
    if (!existed) fs.copyFileSync(path.join(root, 'package-lock.json'), shrinkwrap);
    try {
      const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })) as Array<{ files: Array<{ path: string }> }>;
      expect(packed.files.map((f) => f.path)).toContain('npm-shrinkwrap.json');
    } finally {
      if (!existed) fs.rmSync(shrinkwrap);
    }
  });

  it('a package installed with --ignore-scripts and without optional dependencies from the lockfile runs: every dependency loads, `logpipe config` works', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-install-'));
    try {
      fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
      fs.copyFileSync(path.join(root, 'package-lock.json'), path.join(dir, 'npm-shrinkwrap.json'));
      fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
      fs.cpSync(path.join(root, 'config'), path.join(dir, 'config'), { recursive: true });
      fs.cpSync(path.join(root, 'patches'), path.join(dir, 'patches'), { recursive: true });
      execFileSync('npm', ['ci', '--omit=dev', '--omit=optional', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'pipe' });
      // Scripts off, so the installer applies patches/ itself, as shell/install-ec2.sh does.
      execFileSync(process.execPath, [path.join(dir, 'node_modules', 'patch-package', 'index.js')], { cwd: dir, stdio: 'pipe' });
      const patched = execFileSync(process.execPath, ['-e', "require('./dist/system/kafka/kafkajs-patch.js').assertKafkajsPatched(); console.log('patched')"], { cwd: dir, encoding: 'utf8' });
      expect(patched.trim()).toBe('patched');
      // patch-package is a command (its main runs it), not a library to load.
      const deps = Object.keys((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies).filter((d) => d !== 'patch-package');
      const loaded = execFileSync(process.execPath, ['-e', `for (const d of ${JSON.stringify(deps)}) require(d); console.log('ok')`], { cwd: dir, encoding: 'utf8' });
      expect(loaded.trim()).toBe('ok');
      const config = execFileSync(process.execPath, [path.join(dir, 'dist', 'cli', 'main.js'), 'config'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } });
      expect(config).toContain('control');
      // Without the optional native client (kafka.client librdkafka), kafkajs runs; asking for
      // librdkafka fails naming the package and how to build it.
      expect(fs.existsSync(path.join(dir, 'node_modules', '@confluentinc', 'kafka-javascript'))).toBe(false);
      const missing = execFileSync(process.execPath, ['-e', "try { require('./dist/system/kafka/librdkafka/load.js').loadLibrdkafka(); } catch (e) { console.log(e.message); }"], { cwd: dir, encoding: 'utf8' });
      expect(missing).toMatch(/@confluentinc\/kafka-javascript it is not installed.*CKJS_LINKING=dynamic/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
