/**
 * The CLI reference of README.md, rendered from the commander definitions: exactly what
 * `logpipe <command> --help` prints when stdout is not a terminal (80 columns, no colour), for the
 * program and every command and subcommand. Written by `npm run docs` (scripts/gen-docs.ts).
 */
import type { Command } from 'commander';

/** Width commander wraps help to when stdout is not a TTY; fixed so the output does not depend on the terminal. */
const HELP_WIDTH = 80;

/** A command with its full invocation, e.g. `logpipe dev up`. */
export interface CommandHelp {
  invocation: string;
  summary: string;
  help: string;
}

/**
 * The help of `program` and of every command below it, depth first in declaration order. Sets the
 * output configuration of each command (help width, no colour): pass a program built for this.
 */
export function collectHelp(program: Command): CommandHelp[] {
  const out: CommandHelp[] = [];
  const visit = (cmd: Command, invocation: string): void => {
    cmd.configureOutput({ getOutHelpWidth: () => HELP_WIDTH, getOutHasColors: () => false });
    out.push({ invocation, summary: cmd.summary() || cmd.description(), help: cmd.helpInformation().replace(/[ \t]+$/gm, '').trimEnd() });
    for (const sub of cmd.commands) visit(sub, `${invocation} ${sub.name()}`);
  };
  visit(program, program.name());
  return out;
}

/**
 * Markdown: the program's help in the open, then one collapsed block per command. The block's
 * summary is the command's description, so the README reads as a command list when collapsed.
 */
export function renderCliReference(program: Command): string {
  const [top, ...commands] = collectHelp(program);
  const block = (c: CommandHelp): string => ['```text', `$ ${c.invocation} --help`, c.help, '```'].join('\n');
  const parts = [block(top)];
  for (const c of commands) {
    parts.push(['<details>', `<summary><code>${c.invocation}</code>: ${escapeHtml(c.summary)}</summary>`, '', block(c), '', '</details>'].join('\n'));
  }
  return parts.join('\n\n');
}

/** HTML for a <summary> line, where Markdown is not rendered: escaped, `code` as <code>. */
function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/`([^`]+)`/g, '<code>$1</code>');
}
