import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { consoleLine, createDemoLogger } from './log';

/** The file's JSON lines once it holds `lines` complete ones (the file stream flushes after the logger finishes), or what it holds after 10 s. */
async function fileLines(name: string, lines: number): Promise<Array<Record<string, unknown>>> {
  const read = (): string[] => (fs.existsSync(name) ? fs.readFileSync(name, 'utf8').split('\n').slice(0, -1) : []);
  for (const until = Date.now() + 10_000; read().length < lines && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
  return read().map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function logged(isTTY: boolean, lines: number, write: (logger: ReturnType<typeof createDemoLogger>) => void): Promise<{ terminal: string; file: Array<Record<string, unknown>>; name: string }> {
  const name = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-demo-log-')), 'logs', 'demo.log');
  const terminal = new PassThrough();
  let text = '';
  terminal.on('data', (c: Buffer) => (text += c.toString()));
  const logger = createDemoLogger({ level: 'info', file: name, console: terminal, isTTY });
  write(logger);
  await new Promise<void>((resolve) => {
    logger.on('finish', () => resolve());
    logger.end();
  });
  return { terminal: text, file: await fileLines(name, lines), name };
}

describe('the demo logger', () => {
  it('writes a warning to the terminal as one human line and to the file as JSON with its fields', async () => {
    const { terminal, file, name } = await logged(false, 1, (logger) =>
      logger.child({ component: 'ReportActor' }).warn('report stage could not start; retrying', { delayMs: 500, error: new Error('This server does not host this topic-partition') }),
    );
    expect(terminal).toMatch(/^\d{2}:\d{2}:\d{2} warning \[ReportActor\] report stage could not start; retrying: This server does not host this topic-partition {2}\(see .*demo\.log\)\n$/);
    expect(terminal).toContain(name);
    expect(terminal).not.toContain('{');
    expect(terminal).not.toContain('\x1b[');
    expect(file).toEqual([expect.objectContaining({ level: 'warn', component: 'ReportActor', message: 'report stage could not start; retrying', delayMs: 500, error: expect.objectContaining({ message: 'This server does not host this topic-partition' }) })]);
  });

  it('keeps info in the file only, and colours the terminal line on a TTY', async () => {
    const { terminal, file } = await logged(true, 2, (logger) => {
      logger.info('uploaded', { component: 'demo', key: 'host-1/a.log' });
      logger.error('boom');
    });
    expect(terminal.split('\n').filter(Boolean)).toHaveLength(1);
    expect(terminal).toContain('\x1b[31merror\x1b[0m boom');
    expect(file.map((e) => [e.level, e.message])).toEqual([
      ['info', 'uploaded'],
      ['error', 'boom'],
    ]);
  });

  it('consoleLine: the first line of an error reason, a string error, no component', () => {
    const at = new Date('2026-12-05T14:51:03Z');
    expect(consoleLine({ level: 'warn', message: 'kafka not reachable', error: { message: 'connect ECONNREFUSED\n    at x' } }, 'f.log', false, at)).toBe('14:51:03 warning kafka not reachable: connect ECONNREFUSED  (see f.log)');
    expect(consoleLine({ level: 'error', message: 'failed', error: 'plain' }, 'f.log', false, at)).toBe('14:51:03 error failed: plain  (see f.log)');
  });
});
