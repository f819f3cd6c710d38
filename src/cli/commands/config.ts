import type { Command } from 'commander';
import { loadFromCommand } from '../context';

/** `logpipe config`: prints the effective configuration (secrets redacted) or validates a file. */
export function registerConfigCommand(program: Command): void {
  program
    .command('config')
    .description('print the effective configuration as JSON (secrets redacted), or check a file with --validate')
    .option('--validate <file>', 'check FILE against the schema (with defaults, env and NODE_ENV file applied); exit 2 if invalid')
    .action((opts: { validate?: string }, command: Command) => {
      const loaded = loadFromCommand(command, opts.validate);
      if (opts.validate) {
        process.stdout.write(`${opts.validate}: valid\n`);
        return;
      }
      process.stdout.write(`${JSON.stringify(loaded.redacted(), null, 2)}\n`);
    });
}
