/**
 * Preloaded (`node --require`) into comedy's forked actor processes: makes `require('babel-polyfill')`
 * a no-op there.
 *
 * Why: comedy 2.1.7's forked-actor-worker.js loads babel-polyfill (core-js 2 shims for transpiled
 * projects) into every forked process. The shims replace built-in iterators, which turns off V8's
 * fast paths for array spread; kafkajs groups a batch's messages with `[...current, message]`, and
 * ingest in a forked worker measured 9.5 k lines/s against 37 k lines/s in-memory (same file, same
 * broker). Node 20 needs none of those shims, and no logpipe or comedy code relies on them.
 */
import Module from 'node:module';

const loader = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
const load = loader._load.bind(Module);
loader._load = (request, parent, isMain) => (request === 'babel-polyfill' ? {} : load(request, parent, isMain));
