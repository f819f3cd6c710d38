/**
 * The conformance harness (scripts/conformance.ts) on fixtures of our own in loghub's layout
 * (test/fixtures/conformance: `<System>/<System>_2k.log` and its `_structured.csv`), through the
 * real S3 emulator, `logpipe ingest` and `logpipe report`: so that every CI run checks the harness
 * that `npm run conformance -- --loghub DIR` runs by hand on the real loghub samples (whose data
 * cannot be committed). Shop is log4j with comma milliseconds (quoted in its CSV), Gate ISO 8601
 * across midnight, Relay syslog with neither a year nor a level.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findSamples, passed, runConformance } from '../../scripts/conformance';
import { renderTable } from '../../src/tools/conformance-compare';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'conformance');

describe('npm run conformance (the harness, on our own fixtures)', () => {
  it('finds the samples, counts them exactly through the pipeline, and catches an oracle that disagrees', async () => {
    const samples = findSamples(FIXTURES);
    expect(samples.map((s) => s.system)).toEqual(['Gate', 'Relay', 'Shop']);
    expect(() => findSamples(FIXTURES, ['Shop', 'Nope'])).toThrow(/no sample for Nope/);

    // A copy of Shop whose oracle says one ERROR line is a WARN: the harness must see one line differ.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-conformance-it-'));
    fs.mkdirSync(path.join(dir, 'Wrong'));
    fs.copyFileSync(path.join(FIXTURES, 'Shop', 'Shop_2k.log'), path.join(dir, 'Wrong', 'Wrong_2k.log'));
    const csv = fs.readFileSync(path.join(FIXTURES, 'Shop', 'Shop_2k.log_structured.csv'), 'utf8');
    fs.writeFileSync(path.join(dir, 'Wrong', 'Wrong_2k.log_structured.csv'), csv.replace('ERROR,pool-2', 'WARN,pool-2'));

    const results = await runConformance({ samples: [...samples, ...findSamples(dir)], parallel: 4 });
    process.stdout.write(renderTable(results));
    const by = Object.fromEntries(results.map((r) => [r.system, r]));
    expect(results.filter((r) => r.error)).toEqual([]);
    expect(by.Shop).toMatchObject({ lines: 8, withLevel: 8, verdict: 'exact', comparison: { minutes: 3, minutesExact: 3, matched: 8, differing: 0 } });
    expect(by.Gate).toMatchObject({ lines: 6, withLevel: 6, verdict: 'exact', comparison: { minutes: 4, minutesExact: 4, matched: 6, differing: 0 } });
    // No level: compared on totals per minute, month-day-time (the year comes from the object).
    expect(by.Relay).toMatchObject({ lines: 4, withLevel: 0, verdict: 'no level', comparison: { minutes: 3, minutesExact: 3, matched: 4, differing: 0 } });
    expect(by.Wrong).toMatchObject({ verdict: 'MISS', comparison: { minutes: 3, minutesExact: 2, matched: 7, differing: 1 } });
    expect(by.Wrong.hints.join('\n')).toMatch(/level: totals per level differ \(counted\/expected: ERROR 3\/2, WARN 1\/2\)/);
    expect(passed(results)).toBe(false);
    expect(passed(results.filter((r) => r.system !== 'Wrong'))).toBe(true);
  });
});
