import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderCommandDocument } from '../devstack/ssm-document';
import { MAX_KEY_BYTES } from '../ingest/object-names';
import { packageRoot } from '../system/config/paths';
import { encodeKey, TRIGGER_PARAMETER_PATTERNS, triggerDocument, triggerParameters, UnsafeArgumentError } from './trigger-document';

// js-yaml 3 has no bundled types; only load() and the custom-tag API are used.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = require('js-yaml') as {
  Type: new (tag: string, options: { kind: 'scalar' | 'sequence' | 'mapping'; construct: (data: unknown) => unknown }) => unknown;
  Schema: { create(types: unknown[]): unknown };
  load(text: string, options: { schema: unknown }): unknown;
};

/** The template, CloudFormation's short tags read as their long forms ({"Fn::Sub": ...}). */
function loadTemplate(): { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> } {
  const tags: Array<[string, 'scalar' | 'sequence' | 'mapping', string]> = [
    ['!Ref', 'scalar', 'Ref'],
    ['!Sub', 'scalar', 'Fn::Sub'],
    ['!Sub', 'sequence', 'Fn::Sub'],
    ['!GetAtt', 'scalar', 'Fn::GetAtt'],
    ['!If', 'sequence', 'Fn::If'],
    ['!Equals', 'sequence', 'Fn::Equals'],
    ['!Not', 'sequence', 'Fn::Not'],
    ['!And', 'sequence', 'Fn::And'],
    ['!Or', 'sequence', 'Fn::Or'],
    ['!Join', 'sequence', 'Fn::Join'],
    ['!Select', 'sequence', 'Fn::Select'],
    ['!Split', 'sequence', 'Fn::Split'],
    ['!Condition', 'scalar', 'Condition'],
  ];
  const schema = yaml.Schema.create(tags.map(([tag, kind, name]) => new yaml.Type(tag, { kind, construct: (data) => ({ [name]: data }) })));
  return yaml.load(fs.readFileSync(path.join(packageRoot(), 'infra', 'cloudformation.yaml'), 'utf8'), { schema }) as ReturnType<typeof loadTemplate>;
}

/** `value` with every {"Fn::Sub": text} replaced by its text, the ${...} left in place. */
function unSub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unSub);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0][0] === 'Fn::Sub' && typeof entries[0][1] === 'string') return entries[0][1];
    return Object.fromEntries(entries.map(([k, v]) => [k, unSub(v)]));
  }
  return value;
}

// A printer standing in for trigger.sh: it writes each argument it receives, NUL-terminated.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-document-'));
const printer = path.join(dir, 'printer.sh');
const canary = path.join(dir, 'canary');
fs.writeFileSync(printer, '#!/bin/sh\nprintf \'%s\\0\' "$@"\n', { mode: 0o755 });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What trigger.sh receives on the host: the document's step, parameters checked and pasted in, run by `shell`. */
function argvOnTheHost(shell: string, bucket: string, key: string, versionId?: string): string[] {
  const [step] = renderCommandDocument(triggerDocument(printer, '60'), triggerParameters(bucket, key, versionId));
  const out = execFileSync(shell, ['-c', step.script], { encoding: 'utf8' });
  return out.slice(0, -1).split('\0');
}

const HOSTILE_KEYS: Array<[string, string]> = [
  ['a single quote', "it's.log"],
  ['a quote breaking out', `'; touch ${canary}; echo '`],
  ['command substitution', `$(touch ${canary})`],
  ['backticks', `\`touch ${canary}\``],
  ['a variable', '$HOME/${PATH}.log'],
  ['newlines', `first\ntouch ${canary}\nlast`],
  ['globs and redirections', `* ? [a] > ${canary} < /dev/null | cat &`],
  ['a leading dash', '-rf'],
  ['an option with value', '--output=/etc/passwd'],
  ['backslashes', 'C:\\logs\\app.log\\'],
  ['SSM parameter references', '{{ssm:db-password}}{{ key }}{{{x}}}'],
  ['unicode', 'journaux/été/日本語/😀.log'],
  ['a percent sign and plus', '100%+done %41'],
  ['1024 bytes of quotes', "'".repeat(MAX_KEY_BYTES)],
  ['1024 bytes of 4-byte characters', '😀'.repeat(MAX_KEY_BYTES / 4)],
];

describe('the trigger document on the host', () => {
  describe.each([['bash'], ['sh']])('%s', (shell) => {
    // The key is data end to end: no character of it reaches the shell or SSM unencoded.
    it.each(HOSTILE_KEYS)('delivers a key with %s as one argument, encoded, that decodes to the key', (_what, key) => {
      const argv = argvOnTheHost(shell, 'logs-bucket.example', key, 'v1');
      expect(argv).toEqual(['--key-encoding', 'percent', '--version-id', 'v1', '--', 'logs-bucket.example', encodeKey(key)]);
      expect(Buffer.from(decodeURIComponent(argv[6]), 'utf8').toString()).toBe(key);
      expect(fs.existsSync(canary)).toBe(false);
    });
  });

  it('passes an empty version id when the event has none', () => {
    expect(argvOnTheHost('sh', 'logs', 'k')).toEqual(['--key-encoding', 'percent', '--version-id', '', '--', 'logs', 'k']);
  });

  it('encodes every parameter into its allowedPattern', () => {
    for (const [, key] of HOSTILE_KEYS) {
      const p = triggerParameters('logs', key);
      expect(p.key[0]).toMatch(new RegExp(TRIGGER_PARAMETER_PATTERNS.key));
      expect(p.key[0]).not.toMatch(/['{}$`\\\s]/);
    }
  });
});

describe('triggerParameters refusals', () => {
  // The same words as the control API (src/ingest/object-names.ts).
  it.each([
    ['a NUL byte', 'a\0b', 'object key contains a NUL byte, which cannot be carried to the host'],
    ['an empty key', '', 'object key is empty'],
    ['1025 bytes', 'k'.repeat(MAX_KEY_BYTES + 1), 'object key is 1025 bytes long; S3 allows at most 1024'],
    ['a lone surrogate', 'a\ud800b', 'object key is not well-formed Unicode (lone surrogate)'],
  ])('refuses a key with %s', (_what, key, reason) => {
    expect(() => triggerParameters('logs', key)).toThrow(new UnsafeArgumentError(reason));
  });

  it.each([['ab'], ['Logs'], ['a..b'], ["x';id;'"]])('refuses bucket name %s', (bucket) => {
    expect(() => triggerParameters(bucket, 'k')).toThrow(UnsafeArgumentError);
  });

  it.each([["v'1"], ['v 1'], ['v'.repeat(1025)]])('refuses version id %j', (versionId) => {
    expect(() => triggerParameters('logs', 'k', versionId)).toThrow(/is not an S3 version id/);
  });
});

describe('the local SSM emulation', () => {
  // What SSM does with parameters that do not match: it refuses them at SendCommand.
  it('refuses values outside allowedPattern and undeclared parameters, as SSM does', () => {
    const doc = triggerDocument('/opt/logpipe/shell/trigger.sh', '60');
    expect(() => renderCommandDocument(doc, { bucket: ['logs'], key: ["it's"] })).toThrow(/parameter "key" value .* does not match its allowedPattern/);
    expect(() => renderCommandDocument(doc, { bucket: ['logs'], key: ['k'], commands: ['id'] })).toThrow(/parameter "commands" is not declared/);
    expect(() => renderCommandDocument(doc, { bucket: ['logs'] })).toThrow(/parameter "key" is required/);
  });
});

describe('infra/cloudformation.yaml', () => {
  const template = loadTemplate();

  it('holds the same trigger document as trigger-document.ts', () => {
    const resource = template.Resources.TriggerDocument;
    expect(resource.Type).toBe('AWS::SSM::Document');
    expect(resource.Properties.DocumentType).toBe('Command');
    expect(unSub(resource.Properties.Content)).toEqual(triggerDocument('${TriggerScriptPath}', '${CommandTimeoutSeconds}'));
  });

  // Issue 16: the role could run any shell (AWS-RunShellScript) as root on the hosts.
  it('lets the Lambda send only that document, only to the tagged instances, and nothing else', () => {
    const role = template.Resources.TriggerRole.Properties as { Policies: Array<{ PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }> } }> };
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    const ssm = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('ssm:')));
    expect(ssm.map((s) => s.Action)).toEqual(['ssm:SendCommand', 'ssm:SendCommand']);
    expect(unSub(ssm[0].Resource)).toBe('arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:document/${TriggerDocument}');
    expect(unSub(ssm[1].Resource)).toBe('arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*');
    expect(ssm[1].Condition).toEqual({ StringEquals: { 'ssm:resourceTag/Role': { Ref: 'InstanceTagValue' } } });
    expect(JSON.stringify(template)).not.toContain('AWS-RunShellScript');
    expect(JSON.stringify(statements)).not.toContain('GetCommandInvocation');
    const env = (template.Resources.TriggerFunction.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.LOGPIPE_DOCUMENT_NAME).toEqual({ Ref: 'TriggerDocument' });
  });

  it('lets the hosts send email only from the alert sender to the alert recipients', () => {
    const role = template.Resources.InstanceRole.Properties as { Policies: Array<{ PolicyDocument: { Statement: Array<{ Action: string | string[]; Condition?: unknown }> } }> };
    const ses = role.Policies.flatMap((p) => p.PolicyDocument.Statement).filter((s) => [s.Action].flat().some((a) => a.startsWith('ses:')));
    expect(ses).toHaveLength(1);
    expect(ses[0].Condition).toEqual({
      StringEquals: { 'ses:FromAddress': { Ref: 'AlertFromAddress' } },
      'ForAllValues:StringLike': { 'ses:Recipients': { Ref: 'AlertRecipients' } },
      // ForAllValues alone holds for a request without recipients.
      Null: { 'ses:Recipients': 'false' },
    });
  });
});
