import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertBucketName, buildTriggerCommand, MAX_KEY_BYTES, shellQuote, UnsafeArgumentError } from './shell-command';

// A printer standing in for trigger.sh: it writes each argument it receives, NUL-terminated.
// Its path holds a space and a quote, so the script path's quoting is exercised too.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-quote-'));
const printer = path.join(dir, "it's a printer.sh");
const canary = path.join(dir, 'canary');
fs.writeFileSync(printer, '#!/bin/sh\nprintf \'%s\\0\' "$@"\n', { mode: 0o755 });

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the produced command line in a real shell and returns the argv the script received. */
function argvThroughShell(shell: string, command: string): string[] {
  const out = execFileSync(shell, ['-c', command], { encoding: 'utf8' });
  expect(out.endsWith('\0')).toBe(true);
  return out.slice(0, -1).split('\0');
}

const HOSTILE_KEYS: Array<[string, string]> = [
  ['a single quote', "it's.log"],
  ['only quotes', "'''"],
  ['a double quote', 'say "hi".log'],
  ['a semicolon', `a.log; touch ${canary}`],
  ['command substitution', `$(touch ${canary})`],
  ['backticks', `\`touch ${canary}\``],
  ['a quote breaking out', `'; touch ${canary}; echo '`],
  ['escaped quote breaking out', `\\'; touch ${canary}; '`],
  ['a variable', '$HOME/${PATH}.log'],
  ['newlines', `first\ntouch ${canary}\nlast`],
  ['a carriage return and a tab', 'a\r\tb'],
  ['spaces', '  two  spaces  '],
  ['globs and redirections', `* ? [a] > ${canary} < /dev/null | cat &`],
  ['a leading dash', '-rf'],
  ['a double dash', '--'],
  ['an option with value', '--output=/etc/passwd'],
  ['backslashes', 'C:\\logs\\app.log\\'],
  ['braces and an SSM parameter reference', '{{ssm:db-password}}{{{x}}}'],
  ['unicode', 'journaux/été/日本語/😀.log'],
  ['a percent sign and plus', '100%+done'],
  ['1024 bytes of quotes', "'".repeat(MAX_KEY_BYTES)],
  ['1024 bytes of 2-byte characters', 'é'.repeat(MAX_KEY_BYTES / 2)],
];

describe('buildTriggerCommand through a real shell', () => {
  // The original Lambda pasted the key into the command unquoted: a key could run anything on the host.
  describe.each([['bash'], ['sh']])('%s -c', (shell) => {
    it.each(HOSTILE_KEYS)('delivers a key with %s as one unchanged argument', (_what, key) => {
      const command = buildTriggerCommand(printer, 'logs-bucket.example', key);
      expect(argvThroughShell(shell, command)).toEqual(['--', 'logs-bucket.example', key]);
      expect(fs.existsSync(canary)).toBe(false);
    });
  });

  // Systems Manager resolves {{ssm:name}} in command parameters before the host sees them.
  it('never writes {{ into the command line', () => {
    for (const [, key] of HOSTILE_KEYS) expect(buildTriggerCommand(printer, 'b-1', key)).not.toContain('{{');
  });

  it('quotes each argument and puts -- before bucket and key', () => {
    expect(buildTriggerCommand('/opt/logpipe/shell/trigger.sh', 'logs', "a'b")).toBe(`'/opt/logpipe/shell/trigger.sh' -- 'logs' 'a'\\''b'`);
  });
});

describe('rejections', () => {
  it.each([
    ['a NUL byte', 'a\0b', 'NUL byte'],
    ['an empty key', '', 'empty'],
    ['1025 bytes', 'k'.repeat(MAX_KEY_BYTES + 1), '1025 bytes long'],
    ['1026 bytes of 2-byte characters', 'é'.repeat(MAX_KEY_BYTES / 2 + 1), '1026 bytes long'],
    ['a lone surrogate', 'a\ud800b', 'lone surrogate'],
  ])('rejects a key with %s', (_what, key, reason) => {
    expect(() => buildTriggerCommand(printer, 'logs', key)).toThrow(UnsafeArgumentError);
    expect(() => buildTriggerCommand(printer, 'logs', key)).toThrow(reason);
  });

  it.each([['ab'], ['Logs'], ['-logs'], ['logs-'], ['my_logs'], ['a..b'], ['a b'], ["x';id;'"], ['a'.repeat(64)]])('rejects bucket name %s', (bucket) => {
    expect(() => assertBucketName(bucket)).toThrow(UnsafeArgumentError);
  });

  it.each([['abc'], ['logs-bucket.example'], ['a'.repeat(63)], ['bucket--x-s3']])('accepts bucket name %s', (bucket) => {
    expect(() => assertBucketName(bucket)).not.toThrow();
  });

  it('shellQuote refuses a NUL byte, which no argv can carry', () => {
    expect(() => shellQuote('\0')).toThrow(UnsafeArgumentError);
  });
});
