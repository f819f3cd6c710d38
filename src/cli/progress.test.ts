import { PassThrough } from 'node:stream';
import { progressBar } from './progress';

/** A stream that says whether it is a terminal, and keeps what was written to it. */
function stream(isTTY: boolean): { s: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & { isTTY: boolean; columns: number; cursorTo: () => boolean; clearLine: () => boolean; moveCursor: () => boolean };
  s.isTTY = isTTY;
  s.columns = 120;
  s.cursorTo = () => true;
  s.clearLine = () => true;
  s.moveCursor = () => true;
  let written = '';
  (s as unknown as PassThrough).on('data', (c: Buffer) => (written += c.toString()));
  return { s, text: () => written };
}

describe('progressBar', () => {
  it('draws nothing when the stream is not a terminal (JSON logs are the record there)', async () => {
    const { s, text } = stream(false);
    const bar = progressBar('upload x', 1000, 'bytes', s);
    bar.update(500);
    bar.stop();
    await new Promise((r) => setImmediate(r));
    expect(text()).toBe('');
  });

  it('draws a bar with the label, count and unit on a terminal', async () => {
    const { s, text } = stream(true);
    const bar = progressBar('upload x', 1000, 'bytes', s);
    bar.update(1000);
    bar.stop();
    await new Promise((r) => setImmediate(r));
    expect(text()).toContain('upload x');
    expect(text()).toContain('1000/1000 bytes');
  });
});
