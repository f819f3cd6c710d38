import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULTS, type GeneratorOptions, type Range, validateOptions } from '../../generator/options';
import { runGenerator } from '../../generator/run';
import { progressBar } from '../progress';
import { contextFromCommand, UsageError } from '../context';

const number = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('not a number');
  return n;
};
const range = (v: string): Range => {
  const [min, max, extra] = v.split(',').map((s) => Number(s.trim()));
  if (extra !== undefined || !Number.isFinite(min) || !Number.isFinite(max)) throw new InvalidArgumentError('expected LO,HI');
  return { min, max };
};
const instant = (v: string): number => {
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('expected an ISO-8601 date-time such as 2026-11-26T23:55:00Z');
  return ms;
};
const fmt = (r: Range): string => `${r.min},${r.max}`;

interface GenerateFlags extends Omit<GeneratorOptions, 'startMs'> {
  start?: number;
  out?: string;
  outDir?: string;
  truth?: string;
}

/** `logpipe generate`: LogFileGenerator's behaviour, its configuration keys as options. */
export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('write log files as the original LogFileGenerator did (logback layout), with the ground truth of each 60 s window')
    .addOption(new Option('--out <file>', 'write one file (with --instances K: FILE.host-N.ext)').conflicts('outDir'))
    .option('--out-dir <dir>', 'write daily files LogFileGenerator.YYYY-MM-DD.log (with --instances K: DIR/host-N/...)')
    .option('--truth <file>', 'write the ground truth: per window counts per level, total and per source (JSON)')
    .option('--fast', 'simulated time: timestamps advance by the drawn delay, no sleeping', DEFAULTS.fast)
    .option('--start <iso>', `start of simulated time (default ${new Date(DEFAULTS.startMs).toISOString()} with --fast, now otherwise)`, instant)
    .option('--max-count <n>', 'MaxCount: lines per instance, 0 for no limit', number, DEFAULTS.maxCount)
    .option('--duration-minutes <m>', 'DurationMinutes: stop after this much (simulated) time, 0 for no limit', number, DEFAULTS.durationMinutes)
    .addOption(new Option('--time-period <min,max>', 'TimePeriod: delay between lines in ms, drawn uniformly').argParser(range).default(DEFAULTS.timePeriod, fmt(DEFAULTS.timePeriod)))
    .option('--min-string <n>', 'MinString: shortest message', number, DEFAULTS.minString)
    .option('--max-string <n>', 'MaxString: longest message', number, DEFAULTS.maxString)
    .option('--min-symbol <code>', 'MinSymbol: lowest character code in messages', number, DEFAULTS.minSymbol)
    .option('--max-symbol <code>', 'MaxSymbol: highest character code in messages', number, DEFAULTS.maxSymbol)
    .addOption(new Option('--error <lo,hi>', 'likelihood range of ERROR').argParser(range).default(DEFAULTS.error, fmt(DEFAULTS.error)))
    .addOption(new Option('--warn <lo,hi>', 'likelihood range of WARN').argParser(range).default(DEFAULTS.warn, fmt(DEFAULTS.warn)))
    .addOption(new Option('--debug <lo,hi>', 'likelihood range of DEBUG').argParser(range).default(DEFAULTS.debug, fmt(DEFAULTS.debug)))
    .addOption(new Option('--info <lo,hi>', 'likelihood range of INFO (draws in no range are INFO too)').argParser(range).default(DEFAULTS.info, fmt(DEFAULTS.info)))
    .option('--pattern <regex>', 'Pattern: strings matching it are inserted into messages', DEFAULTS.pattern)
    .option('--frequency <p>', 'Frequency: probability that a message carries a Pattern string', number, DEFAULTS.frequency)
    .option('--seed <n>', 'Seed: the same options and seed give byte-identical output', number, DEFAULTS.seed)
    .option('--instances <k>', 'simulated hosts, each with its own thread name and file', number, DEFAULTS.instances)
    .option('--window-ms <ms>', 'window size of the ground truth', number, DEFAULTS.windowMs)
    .action(async (flags: GenerateFlags, command: Command) => {
      const { logger } = contextFromCommand(command);
      const log = logger.child({ component: 'generate' });
      const { start, out, outDir, truth, ...rest } = flags;
      const options = validateOptions({ ...rest, fast: Boolean(flags.fast), startMs: start ?? (flags.fast ? DEFAULTS.startMs : Date.now()) });
      if (!out && !outDir) throw new UsageError('generate needs --out FILE or --out-dir DIR');
      const expected = options.maxCount > 0 ? options.maxCount * options.instances : 0;
      const bar = progressBar('generate', expected, 'lines');
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const result = await runGenerator(options, { outFile: out, outDir, truthFile: truth }, { onProgress: (n) => bar.update(n), signal: abort.signal });
        bar.stop();
        log.info('generated', {
          lines: result.lines,
          counts: result.counts,
          files: result.files,
          truth,
          elapsedMs: result.elapsedMs,
          linesPerSecond: Math.round(result.lines / Math.max(0.001, result.elapsedMs / 1000)),
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
