/**
 * Topic creation shared by ingest and the report stage: one place that turns the broker's refusal
 * into a message naming the topic, the reason and the key to change, and that checks topics which
 * exist already (created by hand, or by an older logpipe) against what logpipe will write to them.
 */
import { type Admin, ConfigResourceTypes, type ITopicConfig } from 'kafkajs';
import type { LogpipeConfig } from '../config/config';
import type { Logger } from '../observability/logging';
import { checkReportTopic, reportTopicMessageBytes, type TopicConfigValues } from '../config/topic-settings';

/** A topic logpipe needs: how to create it, and how to check it when it exists already. */
export interface WantedTopic extends ITopicConfig {
  /** Problems with an existing topic's effective settings (one line each; any refuses the start). */
  check?: (values: TopicConfigValues) => string[];
}

/**
 * Creates the topics of `wanted` that are missing (createTopics) and checks the existing ones that
 * have a `check` against their effective settings (describeConfigs, one request). Resolves with the
 * effective settings per topic: for a created topic the entries it was created with, for an existing
 * one what the broker reported; absent when they could not be read (then the check is skipped and a
 * warning logged: a principal without DescribeConfigs rights, e.g. kafka-cluster:DescribeTopicDynamicConfiguration
 * on MSK). Rejects with every problem found (naming the topic and what to change) or as createTopics does.
 */
export async function ensureTopics(admin: Admin, wanted: WantedTopic[], log?: Logger): Promise<Map<string, TopicConfigValues>> {
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t.topic));
  const present = wanted.filter((t) => existing.has(t.topic) && t.check);
  const settings = new Map<string, TopicConfigValues>();
  if (present.length) {
    const described = await describeTopics(admin, present.map((t) => t.topic), log);
    const problems: string[] = [];
    for (const t of present) {
      const values = described.get(t.topic);
      if (!values) continue;
      settings.set(t.topic, values);
      problems.push(...(t.check?.(values) ?? []));
    }
    if (problems.length) throw new Error(problems.join('; '));
  }
  await createTopics(admin, missing.map(({ check: _check, ...topic }) => topic));
  for (const t of missing) settings.set(t.topic, new Map((t.configEntries ?? []).map((e) => [e.name, e.value])));
  return settings;
}

/** Effective settings of `topics`; a topic whose settings cannot be read is left out, with a warning. */
async function describeTopics(admin: Admin, topics: string[], log?: Logger): Promise<Map<string, TopicConfigValues>> {
  const out = new Map<string, TopicConfigValues>();
  try {
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })) });
    for (const r of resources) {
      if (r.errorCode) {
        log?.warn('topic settings not readable; not checked', { topic: r.resourceName, error: r.errorMessage ?? `error code ${r.errorCode}` });
        continue;
      }
      out.set(r.resourceName, new Map(r.configEntries.map((e) => [e.configName, e.configValue])));
    }
  } catch (err) {
    log?.warn('topic settings not readable; not checked', { topics, error: (err as Error).message });
  }
  return out;
}

/** kafkajs's per-topic error inside the KafkaJSAggregateError that createTopics throws. */
interface TopicError {
  topic?: string;
  type?: string;
  message?: string;
}

/** How long createTopics waits for created topics to show in the broker's metadata with a leader per partition. */
export const TOPIC_METADATA_WAIT_MS = 30_000;

/**
 * Creates `topics` (waiting for their leaders); a no-op for an empty list. Rejects with an Error
 * whose message names each topic the broker refused and why; a replication factor above the
 * number of brokers points at kafka.replicationFactor. Retrying cannot fix such a refusal.
 *
 * A KRaft broker can answer the metadata request right after a successful CreateTopics with
 * UNKNOWN_TOPIC_OR_PARTITION: its metadata image has not caught up yet (seen on a broker started
 * a moment before; Kafka's own tests wait for it, KAFKA-15780). kafkajs's wait for leaders retries
 * only LEADER_NOT_AVAILABLE and threw, so `logpipe ingest` into a new topic exited 1 with "This
 * server does not host this topic-partition". Such a topic was created: this waits for it to show,
 * up to `o.waitMs`, then rejects naming the topics.
 */
export async function createTopics(admin: Admin, topics: ITopicConfig[], o: { waitMs?: number; sleep?: (ms: number) => Promise<void> } = {}): Promise<void> {
  if (topics.length === 0) return;
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } catch (err) {
    if (metadataLag(err)) return awaitTopicMetadata(admin, topics.map((t) => t.topic), o.waitMs ?? TOPIC_METADATA_WAIT_MS, o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))));
    const errors = (err as { errors?: TopicError[] }).errors;
    if (!Array.isArray(errors) || errors.length === 0) throw err;
    throw new Error(explain(errors, topics), { cause: err });
  }
}

/** A broker's answer that a topic it has just created is not in its metadata yet (or has no leader yet), on `err` or its causes. */
function metadataLag(err: unknown): boolean {
  for (let e = err as { type?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.type === 'UNKNOWN_TOPIC_OR_PARTITION' || e.type === 'LEADER_NOT_AVAILABLE') return true;
  }
  return false;
}

/** Resolves once every topic of `names` has partitions, each with a leader; rejects after `waitMs`, or at once on any other error. */
async function awaitTopicMetadata(admin: Admin, names: string[], waitMs: number, sleep: (ms: number) => Promise<void>): Promise<void> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      if (topics.length === names.length && topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (!metadataLag(err)) throw err;
    }
    if (Date.now() >= until) {
      throw new Error(`topic${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')} created, but not in the broker's metadata with a leader per partition after ${waitMs / 1000} s`);
    }
    await sleep(100);
  }
}

/** One clause per distinct refusal, naming its topics: `cannot create topics "a", "b" (replication factor 3): why; fix`. */
function explain(errors: TopicError[], topics: ITopicConfig[]): string {
  const groups = new Map<string, TopicError[]>();
  for (const e of errors) {
    const key = `${e.type}\u0000${e.message}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups.values()]
    .map((group) => {
      const { type, message } = group[0];
      const names = group.map((e) => `"${e.topic ?? '?'}"`).join(', ');
      const factors = [...new Set(group.map((e) => topics.find((t) => t.topic === e.topic)?.replicationFactor).filter((f) => f !== undefined))];
      const what = `cannot create topic${group.length > 1 ? 's' : ''} ${names}${factors.length ? ` (replication factor ${factors.join(', ')})` : ''}`;
      const fix =
        type === 'INVALID_REPLICATION_FACTOR'
          ? '; kafka.replicationFactor (LOGPIPE_KAFKA_REPLICATION_FACTOR) must not exceed the number of brokers'
          : type === 'INVALID_CONFIG' || type === 'POLICY_VIOLATION'
            ? `; a cluster that limits topic settings (MSK Serverless) needs kafka.topicProfile msk-serverless (LOGPIPE_KAFKA_TOPIC_PROFILE) or kafka.topicMaxMessageBytes, or the topic created by hand (${settingsOf(topics, group)})`
            : '';
      return `${what}: ${message ?? 'refused'}${type ? ` (${type})` : ''}${fix}`;
    })
    .join('; ');
}

/** The settings logpipe asked for, for the refused topics of one clause: `max.message.bytes=8388608, ...`. */
function settingsOf(topics: ITopicConfig[], group: TopicError[]): string {
  const entries = group.flatMap((e) => topics.find((t) => t.topic === e.topic)?.configEntries ?? []);
  const unique = [...new Set(entries.map((c) => `${c.name}=${c.value}`))];
  return unique.length ? `logpipe asked for ${unique.join(', ')}` : 'logpipe asked for no settings';
}

/**
 * Settings of the compacted topics every process reads whole at start (the ingest progress topic,
 * the report state topic), added to `cleanup.policy=compact` when logpipe creates them. Kafka
 * compacts closed segments only, and with its defaults (segment.bytes 1 GiB, segment.ms 7 days) a
 * topic of small records keeps everything in its active segment for days: nothing superseded is
 * removed, and a start reads every record ever written (docs/benchmarks.md, start-up). Closing a
 * segment every 64 MiB or hour, and cleaning once a tenth of the log is superseded, keeps what a
 * start reads within about 1.1× the live records plus the active segment. 64 MiB stays above the
 * state topic's 16 MiB record limit (a segment must hold the largest record batch).
 * checkCompaction() warns when an existing topic lacks them (docs/operations.md says how to set them).
 */
export const COMPACTION_SETTINGS: ReadonlyArray<{ name: string; value: string }> = [
  { name: 'segment.bytes', value: String(64 * 1024 * 1024) },
  { name: 'segment.ms', value: String(60 * 60 * 1000) },
  { name: 'min.cleanable.dirty.ratio', value: '0.1' },
];

/**
 * COMPACTION_SETTINGS where the topic profile lets logpipe set them: MSK Serverless accepts none of
 * them (only cleanup.policy, max.message.bytes, retention, compression and timestamp settings), and
 * runs its own compaction.
 */
export function compactionSettingsFor(profile: string): ReadonlyArray<{ name: string; value: string }> {
  return profile === 'msk-serverless' ? [] : COMPACTION_SETTINGS;
}

/** A setting of a compacted topic that keeps its start-up cost growing with history, and what it should be. */
export interface CompactionProblem {
  name: string;
  value: string | undefined;
  wanted: string;
}

/**
 * Compares a compacted topic's effective settings with COMPACTION_SETTINGS: the policy must include
 * `compact`; segment.bytes, segment.ms and min.cleanable.dirty.ratio must be at most the wanted
 * values (smaller is fine: more segments, more cleaning). Pure: `settings` is name → value as
 * describeConfigs reports them (broker defaults included); a missing entry is not a problem.
 */
export function compactionProblems(settings: ReadonlyMap<string, string>): CompactionProblem[] {
  const problems: CompactionProblem[] = [];
  const policy = settings.get('cleanup.policy');
  if (policy !== undefined && !policy.split(',').includes('compact')) problems.push({ name: 'cleanup.policy', value: policy, wanted: 'compact' });
  for (const { name, value: wanted } of COMPACTION_SETTINGS) {
    const value = settings.get(name);
    if (value !== undefined && !(Number(value) <= Number(wanted))) problems.push({ name, value, wanted });
  }
  return problems;
}

/**
 * Reads `topic`'s settings and returns compactionProblems() of them; [] when the topic or its
 * settings cannot be read (an ACL without DescribeConfigs: the check is advice, never a failure).
 */
export async function checkCompaction(admin: Admin, topic: string): Promise<CompactionProblem[]> {
  try {
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
    const entries = resources[0]?.configEntries ?? [];
    return compactionProblems(new Map(entries.map((e) => [e.configName, e.configValue])));
  } catch {
    return [];
  }
}

/** The kafka-configs command that sets COMPACTION_SETTINGS on an existing topic (for log lines and docs). */
export function compactionCommand(topic: string): string {
  const settings = [{ name: 'cleanup.policy', value: 'compact' }, ...COMPACTION_SETTINGS].map((s) => `${s.name}=${s.value}`).join(',');
  return `kafka-configs.sh --bootstrap-server <brokers> --alter --entity-type topics --entity-name ${topic} --add-config ${settings}`;
}

/**
 * Creates the report topics if missing: partials (one partition: one merger at a time), the state
 * changelog (compacted, one partition: read whole by every process) and the report topic.
 * A state record holds a window snapshot, so it may be larger than the broker's 1 MiB default: both
 * topics get reportTopicMessageBytes (16 MiB, or the cap of kafka.topicProfile /
 * kafka.topicMaxMessageBytes). Existing partials and state topics are checked: if
 * WINDOWS_PER_RECORD windows at report.maxErrorMessages could not fit, it rejects naming the topic
 * and the keys (checkReportTopic). `log` gets a warning when their settings cannot be read.
 */
export async function ensureReportTopics(admin: Admin, config: Pick<LogpipeConfig, 'kafka' | 'report'>, log?: Logger): Promise<void> {
  const { kafka, report } = config;
  const compaction = compactionSettingsFor(kafka.topicProfile);
  const big = { name: 'max.message.bytes', value: String(reportTopicMessageBytes({ profile: kafka.topicProfile, topicMaxMessageBytes: kafka.topicMaxMessageBytes })) };
  await ensureTopics(
    admin,
    [
      { topic: report.partialsTopic, numPartitions: 1, replicationFactor: kafka.replicationFactor, configEntries: [big], check: (values) => checkReportTopic(report.partialsTopic, values, config) },
      { topic: report.stateTopic, numPartitions: 1, replicationFactor: kafka.replicationFactor, configEntries: [big, { name: 'cleanup.policy', value: 'compact' }, ...compaction], check: (values) => checkReportTopic(report.stateTopic, values, config) },
      { topic: report.topic, numPartitions: 1, replicationFactor: kafka.replicationFactor },
      // The ingest ledger, read for objects still being ingested (created here too for `logpipe
      // report` on a cluster nothing was ingested into yet; as src/ingest/topics.ts creates it).
      { topic: kafka.progressTopic, numPartitions: 1, replicationFactor: kafka.replicationFactor, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, ...compaction] },
    ],
    log,
  );
}
