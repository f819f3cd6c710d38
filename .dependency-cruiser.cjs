/**
 * The layering of src/, checked by `npm run lint:deps` (part of `npm test`). Imports point down:
 *
 *   cli, demo, devstack, lambda         entry points
 *   system/runtime                      the service: comedy, the actor pipeline; starts the control plane
 *   system/control                      HTTP control plane and dashboard (talks to actors by message only)
 *   actors                              comedy actors
 *   ingest, report                      the two stages' logic (report may use ingest, not back)
 *   system/kafka                        Kafka clients and plumbing
 *   system/observability                logging, metrics
 *   system/config                       the configuration schema and the settings it validates
 *   system/errors                       error classes with a retriable flag, the retry helper
 *   model, generator, tools             plain data and pure functions
 *
 * One exception, named in its rule: system/config validates against two pure modules of the stages
 * (ingest/source-rules.ts, report/window.ts). Test files (*.test.ts, *.fixture.ts) are exempt: a
 * test may set up whatever it needs. Type-only imports count: a type that two layers share lives in
 * the lower one (src/model/dashboard-types.ts, src/ingest/activity.ts). src/system/README.md says why.
 */
const TESTS = '\\.(test|fixture)\\.ts$';

/** A rule: code under `from` (a regex on the path) must not import anything under `to`. */
function layer(name, comment, from, to, toExcept) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from, pathNot: TESTS },
    to: toExcept ? { path: to, pathNot: toExcept } : { path: to },
  };
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    layer(
      'model-is-the-bottom',
      'src/model holds plain data and pure functions; it imports nothing else from src/.',
      '^src/model/',
      '^src/(?!model/)',
    ),
    layer(
      'config-below-system',
      'system/config is the bottom of system/: the schema and what it validates, no clients, no logging.',
      '^src/system/config/',
      '^src/(system/(observability|kafka|control|runtime)|actors|cli|demo|devstack|lambda)/',
    ),
    layer(
      'config-uses-only-pure-stage-modules',
      'system/config validates source rules and sizes topics with two pure modules of the stages; nothing else of theirs.',
      '^src/system/config/',
      '^src/(ingest|report)/',
      '^src/(ingest/source-rules|report/window)\\.ts$',
    ),
    layer(
      'errors-below-everything-but-model',
      'system/errors (error classes, the one classification of foreign errors, the retry helper) is used by every layer; it imports nothing of src/ but model.',
      '^src/system/errors/',
      '^src/(?!model/|system/errors/)',
    ),
    layer(
      'observability-below-kafka',
      'system/observability (logging, metrics) is used by every layer above config and uses none of them.',
      '^src/system/observability/',
      '^src/(system/(kafka|control|runtime)|ingest|report|actors|cli|demo|devstack|lambda)/',
    ),
    layer(
      'kafka-below-stages',
      'system/kafka is plumbing: clients, topics, views; it knows nothing of ingest, report or actors.',
      '^src/system/kafka/',
      '^src/(system/(control|runtime)|ingest|report|actors|cli|demo|devstack|lambda)/',
    ),
    layer(
      'ingest-below-report',
      'The report stage may use ingest modules (the ledger, error kinds); ingest does not know the report stage.',
      '^src/ingest/',
      '^src/report/',
    ),
    layer(
      'stages-below-actors',
      'ingest and report are the logic the actors coordinate; they do not import actors, the control plane or the runtime.',
      '^src/(ingest|report)/',
      '^src/(actors|system/(control|runtime)|cli|demo|devstack|lambda)/',
    ),
    layer(
      'actors-below-runtime',
      'Actors get what they need from their creator (actor-context.ts); they do not import the runtime or the control plane.',
      '^src/actors/',
      '^src/(system/(control|runtime)|cli|demo|devstack|lambda)/',
    ),
    layer(
      'control-beside-actors',
      'The control plane reaches actors by message only (refs from the runtime); the types it reads live in ingest/ or model/.',
      '^src/system/control/',
      '^src/(actors|system/runtime|cli|demo|devstack|lambda)/',
    ),
    layer(
      'runtime-below-entry-points',
      'system/runtime is started by the entry points, never the other way round.',
      '^src/system/runtime/',
      '^src/(cli|demo|devstack|lambda)/',
    ),
    layer(
      'lambda-stays-small',
      'The Lambda bundle (npm run package:lambda) takes ingest helpers and logging, not the service.',
      '^src/lambda/',
      '^src/(actors|report|system/(kafka|control|runtime)|cli|demo|devstack)/',
    ),
    layer(
      'cli-is-the-top',
      'Only the CLI imports the CLI.',
      '^src/(?!cli/)',
      '^src/cli/',
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too (see above).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist)/' },
  },
};
