import { LineSplitter, type RawLine } from './line-splitter';

function split(chunks: Array<string | Buffer>, maxLineBytes = 1024, start = 0): RawLine[] {
  const out: RawLine[] = [];
  const s = new LineSplitter(maxLineBytes, (l) => out.push(l), start);
  for (const c of chunks) s.push(typeof c === 'string' ? Buffer.from(c) : c);
  s.end();
  return out;
}

const texts = (lines: RawLine[]): string[] => lines.map((l) => l.raw.toString('utf8'));

describe('LineSplitter', () => {
  it('splits LF and CRLF, keeps a last line without newline, and reports offsets', () => {
    const lines = split(['a\nbb\r\nccc']);
    expect(texts(lines)).toEqual(['a', 'bb', 'ccc']);
    expect(lines.map((l) => [l.start, l.end])).toEqual([[0, 2], [2, 6], [6, 9]]);
  });

  it('gives the same lines however the stream is chunked', () => {
    const text = 'first line\r\nsecond\n\nfourth ✓ ünïcode\nlast';
    const whole = split([text]);
    const bytes = Buffer.from(text);
    for (let size = 1; size < bytes.length; size++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      const lines = split(chunks);
      expect(texts(lines)).toEqual(texts(whole));
      expect(lines.map((l) => [l.start, l.end])).toEqual(whole.map((l) => [l.start, l.end]));
    }
  });

  it('a CR not before LF is data', () => {
    expect(texts(split(['a\rb\n']))).toEqual(['a\rb']);
  });

  it('keeps invalid UTF-8 bytes as they are', () => {
    const bad = Buffer.from([0x61, 0xff, 0xfe, 0x0a]);
    expect(split([bad])[0].raw).toEqual(Buffer.from([0x61, 0xff, 0xfe]));
  });

  it('truncates a line longer than maxLineBytes, flags it, and goes on', () => {
    const lines = split(['x'.repeat(10), 'y'.repeat(10), '\nnext\n'], 8);
    expect(texts(lines)).toEqual(['xxxxxxxx', 'next']);
    expect(lines.map((l) => l.truncated)).toEqual([true, false]);
    expect(lines[0].end).toBe(21);
    // The same at the end of the stream, without newline.
    expect(split(['z'.repeat(20)], 8)).toEqual([expect.objectContaining({ truncated: true, end: 20 })]);
  });

  it('an empty stream has no lines; a lone newline is one empty line', () => {
    expect(split([])).toEqual([]);
    expect(texts(split(['\n']))).toEqual(['']);
  });

  it('counts offsets from where a resumed stream starts', () => {
    expect(split(['a\nb\n'], 1024, 100).map((l) => l.start)).toEqual([100, 102]);
  });
});
