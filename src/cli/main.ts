#!/usr/bin/env node
/**
 * The `logpipe` executable (package bin). Before it loads the commands it decides whether this
 * process may run the command at all: `logpipe ingest` needs V8 flags that only a process's command
 * line can give (relaunch.ts), and is otherwise started again with them. The command line itself
 * is program.ts.
 */
import type { Command } from 'commander';
import { relaunchIfNeeded, watchLifeline } from './relaunch';

/** The command line's definition (program.ts), for the docs generator and tests. */
export function buildProgram(): Command {
  // Loaded on demand: a process that only starts `logpipe ingest` again loads none of the commands.
  return (require('./program') as typeof import('./program')).buildProgram();
}

if (require.main === module && !relaunchIfNeeded(process.argv)) {
  watchLifeline();
  void (require('./program') as typeof import('./program')).main(process.argv);
}
