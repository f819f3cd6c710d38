import { isGlob, keyMatcher, parserOptionsFor, type ParserSettings, ruleIndexFor, type SourceRule, sourceRuleProblems, sourceRules } from './source-rules';

const settings = (sources: SourceRule[], over: Partial<ParserSettings> = {}): ParserSettings => ({
  format: 'auto',
  regex: '',
  timeFormat: '',
  zone: 'UTC',
  multiline: true,
  maxEntryBytes: 1024,
  sources,
  ...over,
});

const REGEX = '^(?<time>\\S+ \\S+) (?<level>\\w+) (?<message>.*)$';

describe('keyMatcher', () => {
  // A match without glob characters is a prefix of the key; with them, a glob of the whole key.
  it.each([
    ['app1/', 'app1/x.log', true],
    ['app1/', 'app10/x.log', false],
    ['app1/', 'logs/app1/x.log', false],
    ['logs/*/nginx-*.log', 'logs/web1/nginx-error.log', true],
    ['logs/*/nginx-*.log', 'logs/web1/deep/nginx-error.log', false],
    ['logs/*/nginx-*.log', 'logs/web1/nginx-error.log.gz', false],
    ['logs/**/nginx-*.log', 'logs/web1/deep/nginx-error.log', true],
    ['app1/**', 'app1/a/b/c.log', true],
    ['**/app1/*.log', '/var/tmp/app1/x.log', true],
    ['*.log', 'a/b.log', false],
    ['logs/.hidden*', 'logs/.hidden-1', true],
    ['logs/{a,b}/*.log', 'logs/b/x.log', true],
    ['!app1/', '!app1/x', true],
  ])('%s against %s: %s', (match, key, expected) => {
    expect(keyMatcher(match)(key)).toBe(expected);
  });

  it('tells globs from prefixes by their glob characters', () => {
    expect(['app1/', 'logs/2026-11-26/', 'a b/'].map(isGlob)).toEqual([false, false, false]);
    expect(['*.log', 'a?', 'x[0-9]', '{a,b}/'].map(isGlob)).toEqual([true, true, true, true]);
  });
});

describe('parserOptionsFor', () => {
  const rules: SourceRule[] = [
    { match: 'spark/', format: 'log4j', zone: 'Asia/Shanghai' },
    { match: 'logs/*/nginx-*.log', format: 'regex', regex: REGEX, timeFormat: 'yyyy/MM/dd HH:mm:ss' },
    { match: 'logs/', zone: 'Europe/Berlin' },
    { match: 'spark/special/', format: 'json' },
  ];

  it('the first matching rule wins, in order', () => {
    expect(ruleIndexFor('spark/special/a.log', rules)).toBe(0);
    expect(ruleIndexFor('logs/web/nginx-error.log', rules)).toBe(1);
    expect(ruleIndexFor('logs/web/app.log', rules)).toBe(2);
    expect(ruleIndexFor('other/a.log', rules)).toBe(-1);
  });

  it('a rule sets format, regex, time pattern and zone; multiline and maxEntryBytes stay top-level', () => {
    const s = settings(rules, { multiline: false, maxEntryBytes: 77 });
    expect(parserOptionsFor('spark/a.log', s)).toEqual({ format: 'log4j', zone: 'Asia/Shanghai', multiline: false, maxEntryBytes: 77 });
    expect(parserOptionsFor('logs/w/nginx-1.log', s)).toEqual({ format: 'regex', regex: REGEX, timeFormat: 'yyyy/MM/dd HH:mm:ss', zone: 'UTC', multiline: false, maxEntryBytes: 77 });
  });

  it('unmatched keys, and the fields a rule leaves out, take the top-level settings', () => {
    const s = settings(rules, { format: 'regex', regex: REGEX, timeFormat: 'yy/MM/dd HH:mm:ss', zone: 'America/New_York' });
    expect(parserOptionsFor('other/a.log', s)).toEqual({ format: 'regex', regex: REGEX, timeFormat: 'yy/MM/dd HH:mm:ss', zone: 'America/New_York', multiline: true, maxEntryBytes: 1024 });
    // No format in the rule: the top-level format with its regex and time pattern, the rule's zone.
    expect(parserOptionsFor('logs/w/app.log', s)).toEqual({ format: 'regex', regex: REGEX, timeFormat: 'yy/MM/dd HH:mm:ss', zone: 'Europe/Berlin', multiline: true, maxEntryBytes: 1024 });
    // A format of its own: the top-level regex and time pattern belong to the top-level format.
    expect(parserOptionsFor('spark/a.log', s)).toEqual({ format: 'log4j', zone: 'Asia/Shanghai', multiline: true, maxEntryBytes: 1024 });
  });

  it('with no rules every key reads with the top-level settings; empty regex and time pattern are left out', () => {
    expect(parserOptionsFor('any/key.log', settings([]))).toEqual({ format: 'auto', zone: 'UTC', multiline: true, maxEntryBytes: 1024 });
  });

  it('the compiled rule set chooses as parserOptionsFor does, and says which rule chose', () => {
    const s = settings(rules);
    const choose = sourceRules(s);
    for (const key of ['spark/special/a.log', 'logs/web/nginx-error.log', 'logs/web/app.log', 'other/a.log', '/abs/logs/x']) {
      expect(choose(key).options).toEqual(parserOptionsFor(key, s));
      const index = ruleIndexFor(key, rules);
      expect(choose(key).rule).toEqual(index < 0 ? undefined : { index, match: rules[index].match });
    }
  });
});

describe('sourceRuleProblems', () => {
  it('accepts good rules', () => {
    expect(sourceRuleProblems(settings([{ match: 'a/', format: 'log4j', zone: 'Europe/Berlin' }, { match: 'b/**', format: 'regex', regex: REGEX, timeFormat: 'yy/MM/dd HH:mm:ss' }, { match: 'c/' }]))).toEqual([]);
    // A rule's own time pattern for the top-level regex format.
    expect(sourceRuleProblems(settings([{ match: 'd/', timeFormat: 'yyyy-MM-dd HH:mm:ss,SSS' }], { format: 'regex', regex: REGEX }))).toEqual([]);
  });

  // Each problem names the rule's index and field, shows the value and gives the parser's own reason.
  it.each([
    [{ match: 'a/', format: 'xml' }, 'parser.sources[0].format', 'xml', /unknown parser format "xml": expected auto, logback, log4j/],
    [{ match: 'a/', format: 'regex', regex: REGEX, timeFormat: 'yyyy-QQ' }, 'parser.sources[0].timeFormat', 'yyyy-QQ', /parser timeFormat: invalid time pattern "yyyy-QQ": unknown pattern letter 'Q'/],
    [{ match: 'a/', format: 'log4j', timeFormat: 'yy/MM/dd HH:mm:ss' }, 'parser.sources[0].timeFormat', 'yy/MM/dd HH:mm:ss', /is for format "regex" only \(format is "log4j"\)/],
    [{ match: 'a/', timeFormat: 'yy/MM/dd HH:mm:ss' }, 'parser.sources[0].timeFormat', 'yy/MM/dd HH:mm:ss', /is for format "regex" only \(format is "auto"\)/],
    [{ match: 'a/', zone: 'Mars/Olympus' }, 'parser.sources[0].zone', 'Mars/Olympus', /unknown time zone "Mars\/Olympus": expected UTC or an IANA name/],
    [{ match: 'a/', format: 'regex', regex: '(?<time>\\S+' }, 'parser.sources[0].regex', '(?<time>\\S+', /invalid parser regex/],
    [{ match: 'a/', format: 'regex', regex: '(?<time>\\S+) x' }, 'parser.sources[0].regex', '(?<time>\\S+) x', /needs a named group \(\?<level>\.\.\.\)/],
    [{ match: 'a/', format: 'regex' }, 'parser.sources[0].regex', undefined, /format "regex" needs a regex/],
    [{ match: '' }, 'parser.sources[0].match', '', /key prefix .* or a glob/],
    [{ format: 'json' }, 'parser.sources[0].match', undefined, /key prefix .* or a glob/],
    [{ match: 'a/', zone: 5 }, 'parser.sources[0].zone', 5, /expected a string/],
    [{ match: 'a/', formats: 'json' }, 'parser.sources[0].formats', 'json', /unknown field; a rule has match, format, regex, timeFormat, zone/],
    ['a/', 'parser.sources[0]', 'a/', /expected a rule/],
  ])('%j: %s', (rule, key, value, message) => {
    const problems = sourceRuleProblems(settings([rule as SourceRule]));
    expect(problems).toEqual([{ key, value, message: expect.stringMatching(message) }]);
  });

  it('names the index of each bad rule among good ones', () => {
    const problems = sourceRuleProblems(settings([{ match: 'a/' }, { match: 'b/', zone: 'Nowhere/City' }, { match: 'c/' }, { match: 'd/', format: 'xml' } as unknown as SourceRule]));
    expect(problems.map((p) => p.key)).toEqual(['parser.sources[1].zone', 'parser.sources[3].format']);
  });

  it('a rule that inherits the top-level format is not blamed for the top-level regex', () => {
    expect(sourceRuleProblems(settings([{ match: 'a/', zone: 'Europe/Berlin' }], { format: 'regex', regex: '' }))).toEqual([]);
  });
});
