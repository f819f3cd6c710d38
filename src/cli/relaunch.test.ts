import { buildProgram } from './program';
import { commandOf, relaunchFlags } from './relaunch';

describe('commandOf', () => {
  // commandOf keeps its own list of the global options that take a value (the launcher loads no
  // commands): it must name every such option of the command line, or a value would be taken for
  // the command word.
  it('knows every global option that takes a value', () => {
    const valued = buildProgram()
      .options.filter((o) => o.required || o.optional)
      .flatMap((o) => [o.short, o.long].filter((f): f is string => !!f));
    for (const flag of valued) expect(commandOf([flag, 'ingest', 'start']).command).toBe('start');
  });

  it('finds the command word after the global options and the --config file among them', () => {
    expect(commandOf(['ingest', 'f.log'])).toEqual({ command: 'ingest', configFile: undefined, help: false });
    expect(commandOf(['--config', 'c.json', '--brokers', 'h:1', 'ingest', 'f.log', '--topic', 't'])).toEqual({ command: 'ingest', configFile: 'c.json', help: false });
    expect(commandOf(['-c', 'c.json', 'report'])).toEqual({ command: 'report', configFile: 'c.json', help: false });
    expect(commandOf(['--config=c.json', 'ingest', 'x'])).toEqual({ command: 'ingest', configFile: 'c.json', help: false });
    // A value that looks like a command is the option's value, not the command.
    expect(commandOf(['--brokers', 'ingest', 'start']).command).toBe('start');
    expect(commandOf(['ingest', '--help']).help).toBe(true);
    expect(commandOf([]).command).toBeUndefined();
  });
});

describe('relaunchFlags', () => {
  const inMemory = (mib: number, client = 'kafkajs') => () => ({ maxSemiSpaceMiB: mib, workerMode: 'in-memory', client });
  const bare = { execArgv: [] as string[], nodeOptions: '' };

  it('starts `logpipe ingest` again with the configured semi-space, reading the --config it was given', () => {
    const files: Array<string | undefined> = [];
    const flags = relaunchFlags(['-c', 'my.json', 'ingest', 'f.log'], bare, (file) => {
      files.push(file);
      return { maxSemiSpaceMiB: 2, workerMode: 'in-memory', client: 'kafkajs' };
    });
    expect(flags).toEqual(['--max-semi-space-size=2']);
    expect(files).toEqual(['my.json']);
    // 0: the size measured for the configured client.
    expect(relaunchFlags(['ingest', 'f'], bare, inMemory(0, 'librdkafka'))).toEqual(['--max-semi-space-size=2']);
    expect(relaunchFlags(['ingest', 'f'], bare, inMemory(0, 'kafkajs'))).toEqual(['--max-semi-space-size=8']);
  });

  it('runs every other case in this process', () => {
    expect(relaunchFlags(['report'], bare, inMemory(2))).toBeUndefined();
    expect(relaunchFlags(['start'], bare, inMemory(2))).toBeUndefined();
    expect(relaunchFlags(['ingest', '--help'], bare, inMemory(2))).toBeUndefined();
    // The operator's flag wins, and the relaunched child has the flag: never started a third time.
    expect(relaunchFlags(['ingest', 'f'], { execArgv: ['--max-semi-space-size=2'] }, inMemory(2))).toBeUndefined();
    expect(relaunchFlags(['ingest', 'f'], { execArgv: [], nodeOptions: '--max-semi-space-size=16' }, inMemory(2))).toBeUndefined();
    // A forked worker ingests; it is forked with the flag (pipeline.ts).
    expect(relaunchFlags(['ingest', 'f'], bare, () => ({ maxSemiSpaceMiB: 2, workerMode: 'forked', client: 'kafkajs' }))).toBeUndefined();
    // A configuration that does not load is the command's to report.
    expect(relaunchFlags(['ingest', 'f'], bare, () => undefined)).toBeUndefined();
  });
});
