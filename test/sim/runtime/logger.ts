/**
 * A logger for simulated processes: the winston Logger methods our code calls, writing nothing but
 * the world's trace (warnings and errors always, info when asked), so a failed run's report shows
 * what the processes said. Building and formatting winston log lines would dominate a run's time.
 */
import type { Logger } from '../../../src/system/observability/logging';
import { VERBOSE, type World } from './world';

export function simLogger(world: World, name: string, traceInfo = VERBOSE, fields: Record<string, unknown> = {}): Logger {
  const write = (level: string) => (message: unknown, meta?: Record<string, unknown>) => {
    if (level === 'debug' || (level === 'info' && !traceInfo)) return logger;
    const all = { ...fields, ...(meta ?? {}) };
    const detail = Object.entries(all)
      .filter(([k]) => k !== 'component')
      .map(([k, v]) => `${k}=${v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    world.trace(`${name} ${level}: ${String(message)}${detail ? ` ${detail}` : ''}`);
    return logger;
  };
  const logger = {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    verbose: write('debug'),
    silly: write('debug'),
    log: (level: string | { level: string; message: string }, message?: unknown, meta?: Record<string, unknown>) =>
      typeof level === 'string' ? write(level)(message, meta) : write(level.level)(level.message),
    child: (more: Record<string, unknown>) => simLogger(world, name, traceInfo, { ...fields, ...more }),
    isLevelEnabled: () => false,
    level: 'warn',
  };
  return logger as unknown as Logger;
}
