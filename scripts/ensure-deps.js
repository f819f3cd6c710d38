#!/usr/bin/env node
// Runs `npm ci` when node_modules is missing or older than package-lock.json, so that the README's
// two commands work right after `git clone`. Plain JavaScript: it runs before TypeScript is installed.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const installed = path.join(root, 'node_modules', '.package-lock.json');
const lock = path.join(root, 'package-lock.json');
const stale = !fs.existsSync(installed) || fs.statSync(installed).mtimeMs < fs.statSync(lock).mtimeMs;
if (stale) {
  process.stderr.write('logpipe: installing npm dependencies (npm ci)\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write('logpipe: npm ci failed; see the output above\n');
    process.exit(result.status ?? 1);
  }
}
