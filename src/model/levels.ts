/**
 * Log levels as the pipeline counts them. Every spelling a log may use maps to one of five levels;
 * a line whose level cannot be recognised is UNPARSED, which is counted like any other level.
 */

export const LEVELS = ['ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'UNPARSED'] as const;
export type Level = (typeof LEVELS)[number];

const ALIASES = new Map<string, Exclude<Level, 'UNPARSED'>>(Object.entries({
  TRACE: 'TRACE',
  // Apache httpd 2.4's trace levels.
  TRACE1: 'TRACE',
  TRACE2: 'TRACE',
  TRACE3: 'TRACE',
  TRACE4: 'TRACE',
  TRACE5: 'TRACE',
  TRACE6: 'TRACE',
  TRACE7: 'TRACE',
  TRACE8: 'TRACE',
  FINEST: 'TRACE',
  FINER: 'TRACE',
  VERBOSE: 'TRACE',
  DEBUG: 'DEBUG',
  FINE: 'DEBUG',
  DBG: 'DEBUG',
  INFO: 'INFO',
  INFORMATION: 'INFO',
  NOTICE: 'INFO',
  CONFIG: 'INFO',
  WARN: 'WARN',
  WARNING: 'WARN',
  ERROR: 'ERROR',
  ERR: 'ERROR',
  FATAL: 'ERROR',
  CRITICAL: 'ERROR',
  CRIT: 'ERROR',
  SEVERE: 'ERROR',
  ALERT: 'ERROR',
  EMERG: 'ERROR',
  EMERGENCY: 'ERROR',
  PANIC: 'ERROR',
  DPANIC: 'ERROR',
} as const));

/**
 * One-letter levels (Android logcat, glog): only formats that read a level letter in a fixed place
 * pass one to normalizeLevel; a format that looks for a level among a line's words never takes a
 * one-letter word (`A` and `I` are words).
 */
const LETTERS = new Map<string, Exclude<Level, 'UNPARSED'>>(Object.entries({
  V: 'TRACE',
  D: 'DEBUG',
  I: 'INFO',
  W: 'WARN',
  E: 'ERROR',
  F: 'ERROR',
  A: 'ERROR',
} as const));

/** The normalised level of a level word, case-insensitively (a one-letter level: upper case only); undefined if it is not one. */
export function normalizeLevel(text: string): Exclude<Level, 'UNPARSED'> | undefined {
  if (text.length <= 1) return LETTERS.get(text);
  if (text.length > 11) return undefined;
  return ALIASES.get(text) ?? ALIASES.get(text.toUpperCase());
}

/** Counts per level, all six present. */
export type LevelCounts = Record<Level, number>;

export function emptyCounts(): LevelCounts {
  return { ERROR: 0, WARN: 0, INFO: 0, DEBUG: 0, TRACE: 0, UNPARSED: 0 };
}
