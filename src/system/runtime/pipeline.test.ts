import { sizeForkedYoungGeneration } from './pipeline';

describe('sizeForkedYoungGeneration', () => {
  // V8 takes --max-semi-space-size only at start-up: the forked workers must be forked with it
  // (comedy forks with this process's execArgv), once however often the pipeline starts.
  it('adds the configured semi-space to the fork command line once; a flag already given wins', () => {
    const execArgv = ['--require', '/app/dist/system/runtime/forked-preload.js'];
    expect(sizeForkedYoungGeneration(0, 'librdkafka', execArgv, '')).toBe('--max-semi-space-size=2');
    expect(sizeForkedYoungGeneration(0, 'librdkafka', execArgv, '')).toBeUndefined();
    expect(execArgv).toEqual(['--require', '/app/dist/system/runtime/forked-preload.js', '--max-semi-space-size=2']);
    const operators: string[] = [];
    expect(sizeForkedYoungGeneration(4, 'kafkajs', operators, '--max-semi-space-size=32')).toBeUndefined();
    expect(operators).toEqual([]);
    const sized: string[] = [];
    expect(sizeForkedYoungGeneration(4, 'kafkajs', sized, undefined)).toBe('--max-semi-space-size=4');
  });
});
