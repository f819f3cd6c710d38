import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emptyCounts } from '../model/levels';
import { ObjectParser } from '../model/parser';
import { formatLine, LineGenerator, timeOfDay } from './lines';
import { DEFAULTS, type GeneratorOptions, GeneratorOptionError, validateOptions } from './options';
import { runGenerator } from './run';
import { TruthBuilder } from './truth';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-gen-'));
const fast = (over: Partial<GeneratorOptions> = {}): GeneratorOptions => validateOptions({ ...DEFAULTS, fast: true, ...over });
const sha = (file: string): string => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Re-reads generated files with the parser and counts them the way the truth does. */
function recount(dir: string, files: string[], windowMs: number): ReturnType<TruthBuilder['build']> {
  const truth = new TruthBuilder(windowMs);
  for (const file of files) {
    const source = path.relative(dir, file).split(path.sep).join('/');
    const parser = new ObjectParser({ name: source }, { format: 'auto' }, (e) => truth.add(source, e.timeMs, e.level));
    const text = fs.readFileSync(file, 'utf8');
    for (const line of text.slice(0, -1).split('\n')) parser.push(line);
    parser.end();
  }
  return truth.build();
}

describe('LineGenerator', () => {
  it('is deterministic: same options and seed, same lines; another seed, other lines', () => {
    const take = (seed: number): string[] => {
      const g = new LineGenerator(fast({ seed }));
      return Array.from({ length: 500 }, () => JSON.stringify(g.next()));
    };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
  });

  it('draws levels with the configured shares (100k lines, within 0.5 percentage points)', () => {
    const g = new LineGenerator(fast());
    const counts = emptyCounts();
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[g.next().level]++;
    expect(counts.ERROR / n).toBeCloseTo(0.01, 2);
    expect(Math.abs(counts.WARN / n - 0.19)).toBeLessThan(0.005);
    expect(Math.abs(counts.DEBUG / n - 0.1)).toBeLessThan(0.005);
    expect(Math.abs(counts.INFO / n - 0.7)).toBeLessThan(0.005);
  });

  it('honours other level ranges', () => {
    const g = new LineGenerator(fast({ error: { min: 0, max: 0.5 }, warn: { min: 0.5, max: 1 }, debug: { min: 0, max: 0 }, info: { min: 0, max: 0 } }));
    const seen = new Set(Array.from({ length: 2000 }, () => g.next().level));
    expect([...seen].sort()).toEqual(['ERROR', 'WARN']);
  });

  it('inserts a string matching Pattern at the configured frequency', () => {
    const o = fast({ frequency: 0.07 });
    const g = new LineGenerator(o);
    const re = new RegExp(o.pattern);
    let patterned = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const d = g.next();
      if (d.patterned) {
        patterned++;
        expect(re.test(d.message)).toBe(true);
      }
    }
    expect(Math.abs(patterned / n - 0.07)).toBeLessThan(0.005);
  });

  it('keeps message length and symbols within range', () => {
    const g = new LineGenerator(fast({ minString: 5, maxString: 8, minSymbol: 65, maxSymbol: 70, frequency: 0 }));
    for (let i = 0; i < 1000; i++) expect(g.next().message).toMatch(/^[A-F]{5,8}$/);
  });

  it('writes the logback layout of the original', () => {
    expect(formatLine(Date.UTC(2021, 9, 30, 21, 6, 44, 473), 'scala-execution-context-global-173', 'INFO', 'msg')).toBe(
      '21:06:44.473 [scala-execution-context-global-173] INFO  HelperUtils.Parameters$ - msg',
    );
    expect(timeOfDay(Date.UTC(2026, 0, 1, 0, 0, 0, 5))).toBe('00:00:00.005');
  });
});

describe('validateOptions', () => {
  it.each<[Partial<GeneratorOptions>, RegExp]>([
    [{ minString: 10, maxString: 5 }, /--max-string 5/],
    [{ error: { min: 0.5, max: 0.2 } }, /--error "0.5,0.2": expected LO,HI/],
    [{ frequency: 2 }, /--frequency 2/],
    [{ pattern: '([a-' }, /--pattern "\(\[a-": expected a valid regular expression/],
    [{ maxCount: 0, durationMinutes: 0 }, /expected a limit/],
    [{ instances: 0 }, /--instances 0/],
  ])('rejects %j', (over, message) => {
    expect(() => validateOptions({ ...DEFAULTS, ...over })).toThrow(GeneratorOptionError);
    expect(() => validateOptions({ ...DEFAULTS, ...over })).toThrow(message);
  });
});

describe('runGenerator', () => {
  it('gives byte-identical files and truth for the same options and seed', async () => {
    const a = tmp();
    const b = tmp();
    const o = fast({ maxCount: 5000, instances: 2 });
    const ra = await runGenerator(o, { outDir: a, truthFile: path.join(a, 'truth.json') });
    const rb = await runGenerator(o, { outDir: b, truthFile: path.join(b, 'truth.json') });
    expect(ra.files.map((f) => path.relative(a, f))).toEqual(rb.files.map((f) => path.relative(b, f)));
    for (const f of [...ra.files, path.join(a, 'truth.json')]) expect(sha(f)).toBe(sha(path.join(b, path.relative(a, f))));
    expect(ra.lines).toBe(10_000);
  });

  it('simulates hosts: distinct threads and one file each', async () => {
    const dir = tmp();
    const r = await runGenerator(fast({ maxCount: 100, instances: 3 }), { outDir: dir });
    expect(r.files.map((f) => path.relative(dir, f))).toEqual(['host-1/LogFileGenerator.2026-01-01.log', 'host-2/LogFileGenerator.2026-01-01.log', 'host-3/LogFileGenerator.2026-01-01.log']);
    const threads = r.files.map((f) => /\[([^\]]+)\]/.exec(fs.readFileSync(f, 'utf8'))?.[1]);
    expect(new Set(threads).size).toBe(3);
  });

  it('a run across midnight writes two daily files whose lines parse to the right dates', async () => {
    const dir = tmp();
    const start = Date.UTC(2026, 10, 25, 23, 59, 0);
    const r = await runGenerator(fast({ maxCount: 3000, startMs: start, timePeriod: { min: 50, max: 50 } }), { outDir: dir });
    expect(r.files.map((f) => path.basename(f))).toEqual(['LogFileGenerator.2026-11-25.log', 'LogFileGenerator.2026-11-26.log']);
    const firstOfDay2 = fs.readFileSync(r.files[1], 'utf8').split('\n')[0];
    expect(firstOfDay2.startsWith('00:00:00.0')).toBe(true);
    const truth = recount(dir, r.files, 60_000);
    expect(truth.windows[0].startMs).toBe(Date.UTC(2026, 10, 25, 23, 59));
    expect(truth.windows[truth.windows.length - 1].startMs).toBe(Date.UTC(2026, 10, 26, 0, 1));
  });

  it('--out FILE writes one file, per host with several instances', async () => {
    const dir = tmp();
    const one = await runGenerator(fast({ maxCount: 10 }), { outFile: path.join(dir, 'app.log') });
    expect(one.files).toEqual([path.join(dir, 'app.log')]);
    const many = await runGenerator(fast({ maxCount: 10, instances: 2 }), { outFile: path.join(dir, 'app.log') });
    expect(many.files).toEqual([path.join(dir, 'app.host-1.log'), path.join(dir, 'app.host-2.log')]);
  });

  it('the truth equals what the parser recounts from the files', async () => {
    const dir = tmp();
    const truthFile = path.join(dir, 'truth.json');
    const r = await runGenerator(fast({ maxCount: 20_000, instances: 2, startMs: Date.UTC(2026, 10, 25, 23, 50) }), { outDir: dir, truthFile });
    const written = JSON.parse(fs.readFileSync(truthFile, 'utf8'));
    expect(written).toEqual(r.truth);
    expect(recount(dir, r.files, 60_000)).toEqual(r.truth);
    expect(r.truth.totals.total).toBe(40_000);
    expect(r.truth.windows.length).toBeGreaterThan(10);
  });

  it('stops at DurationMinutes of simulated time', async () => {
    const dir = tmp();
    const r = await runGenerator(fast({ maxCount: 0, durationMinutes: 2, timePeriod: { min: 100, max: 100 } }), { outDir: dir });
    expect(r.lines).toBe(1200);
  });

  it('real time sleeps between lines and stamps them with the clock', async () => {
    const dir = tmp();
    const before = Date.now();
    const r = await runGenerator(validateOptions({ ...DEFAULTS, maxCount: 5, timePeriod: { min: 20, max: 20 } }), { outFile: path.join(dir, 'rt.log') });
    const times = fs.readFileSync(r.files[0], 'utf8').trim().split('\n').map((l) => l.slice(0, 12));
    expect(times).toHaveLength(5);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(5 * 20 - 5);
    expect(times[0] >= timeOfDay(before) || before % 86_400_000 > 86_000_000).toBe(true);
  });
});
