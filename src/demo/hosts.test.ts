import { parseText } from '../model/parser';
import { SimulatedHost } from './hosts';

describe('SimulatedHost', () => {
  it('writes lines up to the given time, in time order, and cuts them into a dated object', () => {
    const start = Date.UTC(2026, 10, 26, 23, 59, 50);
    const host = new SimulatedHost(1, start, { seed: 3 });
    host.advance(start + 5_000);
    const first = host.cut()!;
    expect(first.key).toMatch(/^host-2\/LogFileGenerator\.2026-11-26\.\d+\.log$/);
    const entries = parseText(first.text, { name: first.key }, { format: 'auto' });
    expect(entries).toHaveLength(first.lines);
    expect(first.lines).toBeGreaterThan(40); // 10–100 ms apart: 50–500 lines in 5 s
    expect(entries.every((e, i) => i === 0 || e.timeMs >= entries[i - 1].timeMs)).toBe(true);
    expect(entries[0].timeMs).toBeGreaterThan(start);
    expect(entries[entries.length - 1].timeMs).toBeLessThanOrEqual(start + 5_000);
    expect(entries.filter((e) => e.level === 'ERROR')).toHaveLength(first.errors);
    // Nothing new: no object. After midnight, the next object carries the new date.
    expect(host.cut()).toBeUndefined();
    // An object spanning midnight is named as logback's time-based rolling names a file cut by the
    // wall clock: for its last line's date. It opens with the day before's last lines (a rolled
    // start), which the parser dates on that day. Named for its first line's date, it read as a
    // rolled start of that date and its lines before midnight were dated a day early.
    host.advance(start + 20_000);
    const across = host.cut()!;
    expect(across.key).toMatch(/LogFileGenerator\.2026-11-27\./);
    const times = parseText(across.text, { name: across.key }, { format: 'auto' }).map((e) => e.timeMs);
    expect(times[0]).toBeGreaterThan(start + 5_000);
    expect(times[0]).toBeLessThan(Date.UTC(2026, 10, 27));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1])).toBe(true);
    expect(times[times.length - 1]).toBeGreaterThan(Date.UTC(2026, 10, 27));
    expect(times[times.length - 1]).toBeLessThanOrEqual(start + 20_000);
    host.advance(start + 30_000);
    expect(host.cut()!.key).toMatch(/LogFileGenerator\.2026-11-27\./);
  });
});
