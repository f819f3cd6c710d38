/**
 * The generated documentation (scripts/gen-docs.ts): README.md's configuration table and CLI
 * reference and docs/configuration.md must change in the same commit as the schema or the commands,
 * so `npm test` fails when they are stale, as `npm run docs:check` does in CI.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildProgram } from '../../src/cli/main';
import { collectHelp, renderCliReference } from '../../src/cli/reference';
import { checkParts, type GeneratedPart, MarkerError, PARTS, readSection, replaceSection, sectionText, staleMessage, writeParts } from '../../scripts/gen-docs';

describe('the committed generated docs', () => {
  it('are current (regenerate with `npm run docs`)', () => {
    const stale = checkParts().filter((s) => !s.current).map(staleMessage);
    expect(stale).toEqual([]);
  });
});

describe('sections between markers', () => {
  const text = 'intro\n<!-- t:start -->\nold\n<!-- t:end -->\noutro\n';

  it('replaces only what lies between the markers, keeping them', () => {
    const out = replaceSection(text, 'X.md', 't', 'new body');
    expect(out).toBe(`intro\n${sectionText('t', 'new body')}\noutro\n`);
    expect(readSection(out, 'X.md', 't')).toBe(sectionText('t', 'new body'));
  });

  it('names the file, the section and both markers when they are missing', () => {
    expect(() => replaceSection('no markers', 'X.md', 't', 'b')).toThrow(MarkerError);
    expect(() => replaceSection('no markers', 'X.md', 't', 'b')).toThrow('X.md: the markers of section "t" are missing; put <!-- t:start --> and <!-- t:end -->');
  });

  it('refuses repeated or reversed markers', () => {
    expect(() => readSection(`${text}${text}`, 'X.md', 't')).toThrow('must appear once each');
    expect(() => readSection('<!-- t:end --> <!-- t:start -->', 'X.md', 't')).toThrow('must appear once each');
  });
});

describe('check and write', () => {
  // A schema or command change must show up as a stale section naming the fix.
  it('reports a stale section with the command that fixes it, and writing makes it current', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-docs-'));
    let version = 'one';
    const parts: GeneratedPart[] = [
      { file: 'R.md', section: 'cli', source: 'the commands', render: () => `help ${version}` },
      { file: 'docs/whole.md', source: 'the schema', render: () => `# whole ${version}\n` },
    ];
    fs.mkdirSync(path.join(root, 'docs'));
    fs.writeFileSync(path.join(root, 'R.md'), '# R\n\n<!-- cli:start -->\n<!-- cli:end -->\n');
    expect(writeParts(root, parts)).toHaveLength(2);
    expect(checkParts(root, parts).every((s) => s.current)).toBe(true);
    expect(writeParts(root, parts)).toEqual([]);

    version = 'two';
    const states = checkParts(root, parts);
    expect(states.map((s) => s.current)).toEqual([false, false]);
    expect(staleMessage(states[0])).toBe('R.md: section "cli" is stale: it no longer matches the commands; run `npm run docs` and commit the result');
    expect(staleMessage(states[1])).toBe('docs/whole.md is stale: it no longer matches the schema; run `npm run docs` and commit the result');
    writeParts(root, parts);
    expect(fs.readFileSync(path.join(root, 'R.md'), 'utf8')).toBe(`# R\n\n${sectionText('cli', 'help two')}\n`);
    expect(checkParts(root, parts).every((s) => s.current)).toBe(true);
  });

  it('covers docs/configuration.md and both README sections', () => {
    expect(PARTS.map((p) => `${p.file}${p.section ? `#${p.section}` : ''}`)).toEqual(['docs/configuration.md', 'README.md#config-table', 'README.md#cli-reference']);
  });
});

describe('the CLI reference', () => {
  it('holds the --help of the program and of every command and subcommand', () => {
    const helps = collectHelp(buildProgram());
    const invocations = helps.map((h) => h.invocation);
    expect(invocations).toEqual(expect.arrayContaining(['logpipe', 'logpipe start', 'logpipe ingest', 'logpipe report', 'logpipe config', 'logpipe dev', 'logpipe dev up', 'logpipe dev chain', 'logpipe demo']));
    const reference = renderCliReference(buildProgram());
    for (const h of helps) expect(reference).toContain(`$ ${h.invocation} --help\n${h.help}\n`);
    expect(helps.find((h) => h.invocation === 'logpipe ingest')?.help).toMatch(/^Usage: logpipe ingest \[options\] <object>$/m);
  });

  it('wraps help at 80 columns whatever the terminal, without trailing spaces', () => {
    for (const h of collectHelp(buildProgram())) {
      for (const line of h.help.split('\n')) {
        expect(line.length).toBeLessThanOrEqual(80);
        expect(line).not.toMatch(/\s$/);
      }
    }
  });

  it('writes summaries as HTML, backquoted names as <code>', () => {
    expect(renderCliReference(buildProgram())).toContain('<summary><code>logpipe trigger</code>: ask the running <code>logpipe start</code> to ingest');
  });
});
