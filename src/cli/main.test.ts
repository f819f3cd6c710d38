import { buildProgram, commandOf } from './main';

const argv = (...args: string[]): string[] => ['node', 'logpipe', ...args];

describe('commandOf', () => {
  it('names the command before or after the global options', () => {
    expect(commandOf(argv('ingest', 'f.log'))).toBe('ingest');
    expect(commandOf(argv('--config', 'ingest', 'report'))).toBe('report');
    expect(commandOf(argv('-c', 'x.json', '--brokers', 'h:1', 'ingest', '--topic', 't', 'f.log'))).toBe('ingest');
    expect(commandOf(argv('--config=x.json', 'start'))).toBe('start');
  });

  it('is undefined when the whole program answers: no command, help, an unknown word', () => {
    expect(commandOf(argv())).toBeUndefined();
    expect(commandOf(argv('--help'))).toBeUndefined();
    expect(commandOf(argv('help', 'ingest'))).toBeUndefined();
    expect(commandOf(argv('ingets', 'f.log'))).toBeUndefined();
    expect(commandOf(argv('--', 'ingest'))).toBeUndefined();
  });
});

describe('buildProgram', () => {
  it('registers every command, or the one asked for alone', () => {
    expect(buildProgram().commands.map((c) => c.name())).toEqual(['start', 'ingest', 'report', 'trigger', 'upload', 'generate', 'config', 'dev', 'demo']);
    expect(buildProgram('ingest').commands.map((c) => c.name())).toEqual(['ingest']);
  });
});
