/**
 * patches/comedy+2.1.7.patch: comedy's actor system needs only bson's ObjectID (actor ids), but
 * required bson's main module, whose serializer allocates a zero-filled 17 MiB buffer when loaded:
 * 17 MiB of resident memory in every logpipe process (docs/benchmarks.md, "Ingest memory"). The
 * patch requires bson/lib/bson/objectid instead. Fails when node_modules was installed without
 * running patch-package.
 */
import { execFileSync } from 'node:child_process';

describe('comedy (patched)', () => {
  it('does not load bson\'s serializer and its 17 MiB buffer', () => {
    // A process of its own: jest's module registry is not Node's require.cache.
    const script = "require('comedy'); const bson = Object.keys(require.cache).filter((f) => /[\\\\/]bson[\\\\/]/.test(f)).map((f) => f.replace(/.*[\\\\/]bson[\\\\/]/, '')); process.stdout.write(JSON.stringify({ bson, arrayBuffers: process.memoryUsage().arrayBuffers }));";
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { bson: string[]; arrayBuffers: number };
    expect(loaded.bson).toEqual(['objectid.js']); // bson/lib/bson/objectid.js alone
    expect(loaded.arrayBuffers).toBeLessThan(4 << 20);
  });
});
