/**
 * Formats per source (`parser.sources`): which parser options an object is read with, chosen by its
 * key. Pure: no I/O; the configuration validates the rules at start-up (sourceRuleProblems) and the
 * ingest worker calls parserOptionsFor once per object version.
 *
 * Rules are tried in order; the first whose `match` fits the key wins:
 * - a `match` holding a glob character (`*`, `?`, `[`, `{`) is a glob of the whole key: `*` stays
 *   within one path segment, `**` crosses slashes (`logs/*\/nginx-*.log`, `app1/**`);
 * - any other `match` is a key prefix (`app1/`).
 * A winning rule's `zone` falls back to `parser.zone`. Its `format` falls back to `parser.format`,
 * and only then do `regex` and `timeFormat` fall back to `parser.regex` and `parser.timeFormat`:
 * those describe the top-level format, so a rule naming a format of its own gives them itself. A key
 * no rule matches is read with the top-level options. `multiline` and `maxEntryBytes` are always the
 * top-level ones.
 *
 * The key is the S3 object key, or for a local file its absolute path (a rule for files is a glob
 * such as `**\/app1/*.log`). The choice depends on the key and the configuration only, so a resumed
 * object is read with the options it started with while the configuration stays the same (and its
 * checkpoint keeps the format `auto` detected either way).
 */
import { minimatch } from 'minimatch';
import type { FormatName } from '../model/formats';
import { type ParserOptions, resolveFormat } from '../model/parser';
import { Zone } from '../model/time';
import type { LogpipeConfig } from '../system/config/config';

/** One entry of `parser.sources`, as configured. */
export interface SourceRule {
  /** A key prefix (`app1/`) or a glob of the whole key (`logs/*\/nginx-*.log`, `**` across slashes). */
  match: string;
  format?: 'auto' | FormatName;
  regex?: string;
  timeFormat?: string;
  zone?: string;
}

/** The `parser` section of the configuration (src/system/config/config.ts declares it). */
export type ParserSettings = LogpipeConfig['parser'];

const RULE_FIELDS = ['match', 'format', 'regex', 'timeFormat', 'zone'] as const;
const GLOB_CHARS = /[*?[{]/;

/** Whether `match` is read as a glob (else it is a key prefix). */
export function isGlob(match: string): boolean {
  return GLOB_CHARS.test(match);
}

/**
 * A predicate for one rule's `match`. Globs match dot-files too and have no negation or comment
 * syntax: a key starting with `!` or `#` is just a key.
 */
export function keyMatcher(match: string): (key: string) => boolean {
  if (!isGlob(match)) return (key) => key.startsWith(match);
  const re = minimatch.makeRe(match, { dot: true, nonegate: true, nocomment: true });
  return re === false ? () => false : (key) => re.test(key);
}

/** The index of the first rule matching `key`, or -1. */
export function ruleIndexFor(key: string, rules: readonly SourceRule[]): number {
  return rules.findIndex((rule) => keyMatcher(rule.match)(key));
}

/**
 * The parser options of the object whose key (or absolute file path) is `key`: those of the first
 * matching rule, with the fallbacks described above, or the top-level ones. Never throws for a
 * configuration that passed sourceRuleProblems.
 */
export function parserOptionsFor(key: string, parser: ParserSettings): ParserOptions {
  const i = ruleIndexFor(key, parser.sources ?? []);
  return i < 0 ? topLevelOptions(parser) : ruleOptions(parser.sources[i], parser);
}

/** What a rule set chose for a key: the options, and the rule that gave them (absent: the top-level settings). */
export interface SourceChoice {
  options: ParserOptions;
  rule?: { index: number; match: string };
}

/**
 * A compiled rule set for many keys: the same options as parserOptionsFor, each glob compiled once,
 * with the rule that chose them (for the logs). Assumes rules that passed sourceRuleProblems.
 */
export function sourceRules(parser: ParserSettings): (key: string) => SourceChoice {
  const rules = (parser.sources ?? []).map((rule, index) => ({ matches: keyMatcher(rule.match), choice: { options: ruleOptions(rule, parser), rule: { index, match: rule.match } } }));
  const fallback: SourceChoice = { options: topLevelOptions(parser) };
  return (key) => rules.find((r) => r.matches(key))?.choice ?? fallback;
}

function topLevelOptions(parser: ParserSettings): ParserOptions {
  return options(parser.format, parser.regex, parser.timeFormat, parser.zone, parser);
}

function ruleOptions(rule: SourceRule, parser: ParserSettings): ParserOptions {
  // A rule naming a format brings its own regex and time pattern; the top-level ones belong to parser.format.
  const own = rule.format !== undefined;
  return options(rule.format ?? parser.format, own ? rule.regex : (rule.regex ?? parser.regex), own ? rule.timeFormat : (rule.timeFormat ?? parser.timeFormat), rule.zone ?? parser.zone, parser);
}

function options(format: 'auto' | FormatName, regex: string | undefined, timeFormat: string | undefined, zone: string, parser: ParserSettings): ParserOptions {
  const out: ParserOptions = { format, zone, multiline: parser.multiline, maxEntryBytes: parser.maxEntryBytes };
  if (regex) out.regex = regex;
  if (timeFormat) out.timeFormat = timeFormat;
  return out;
}

/** One problem of a rule: the field (`parser.sources[2].zone`), its value, and what the parser said. */
export interface RuleProblem {
  key: string;
  value: unknown;
  message: string;
}

/**
 * Everything wrong with `parser.sources`, one problem per bad rule field, in rule order; [] when
 * every rule is usable. Formats, regexes and time patterns are checked by the parser itself
 * (resolveFormat) on the options each rule yields, zones by Zone, so the messages are the parser's.
 */
export function sourceRuleProblems(parser: ParserSettings): RuleProblem[] {
  const rules: unknown = parser.sources;
  if (!Array.isArray(rules)) return [{ key: 'parser.sources', value: rules, message: 'expected a list of rules {match, format?, regex?, timeFormat?, zone?}' }];
  const problems: RuleProblem[] = [];
  rules.forEach((rule: unknown, i) => {
    const at = `parser.sources[${i}]`;
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
      problems.push({ key: at, value: rule, message: 'expected a rule {match, format?, regex?, timeFormat?, zone?}' });
      return;
    }
    const r = rule as Record<string, unknown>;
    const before = problems.length;
    for (const field of Object.keys(r)) {
      if (!(RULE_FIELDS as readonly string[]).includes(field)) problems.push({ key: `${at}.${field}`, value: r[field], message: `unknown field; a rule has ${RULE_FIELDS.join(', ')}` });
    }
    if (typeof r.match !== 'string' || r.match === '') problems.push({ key: `${at}.match`, value: r.match, message: 'expected a key prefix such as "app1/" or a glob such as "logs/*/nginx-*.log"' });
    else if (isGlob(r.match) && minimatch.makeRe(r.match, { dot: true, nonegate: true, nocomment: true }) === false) problems.push({ key: `${at}.match`, value: r.match, message: 'not a valid glob' });
    for (const field of ['format', 'regex', 'timeFormat', 'zone'] as const) {
      if (r[field] !== undefined && typeof r[field] !== 'string') problems.push({ key: `${at}.${field}`, value: r[field], message: 'expected a string' });
    }
    if (problems.length > before) return;
    const options = ruleOptions(r as unknown as SourceRule, parser);
    if (r.zone !== undefined) {
      try {
        new Zone(options.zone ?? 'UTC');
      } catch (err) {
        problems.push({ key: `${at}.zone`, value: r.zone, message: (err as Error).message });
      }
    }
    // A rule that sets none of format, regex and timeFormat reads with the top-level ones, which
    // are checked as parser.format, parser.regex and parser.timeFormat.
    if (r.format === undefined && r.regex === undefined && r.timeFormat === undefined) return;
    // The format with its regex first, then with the time pattern, so each message lands on its field.
    const { timeFormat, ...withoutTime } = options;
    try {
      resolveFormat(withoutTime);
    } catch (err) {
      // An unknown format name, or format regex without a usable regex.
      const field = options.format === 'regex' ? 'regex' : 'format';
      problems.push({ key: `${at}.${field}`, value: field === 'regex' ? options.regex : r.format, message: (err as Error).message });
      return;
    }
    if (timeFormat !== undefined) {
      try {
        resolveFormat(options);
      } catch (err) {
        problems.push({ key: `${at}.timeFormat`, value: timeFormat, message: (err as Error).message });
      }
    }
  });
  return problems;
}
