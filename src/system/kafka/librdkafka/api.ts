/**
 * The part of @confluentinc/kafka-javascript's own (node-rdkafka style) API that logpipe uses, typed
 * here rather than imported from the package: the package is an optional dependency (a native build
 * that may be missing), and logpipe must build, typecheck and run on kafkajs without it. Extend these
 * interfaces as code starts to use more of the library; keep them to what the library documents
 * (its index.d.ts), since nothing checks them against it at compile time — the integration tests
 * that run with kafka.client librdkafka do.
 */

/** librdkafka's configuration properties (CONFIGURATION.md) plus the binding's callbacks. */
export type LibrdkafkaGlobalConfig = Record<string, string | number | boolean | ((...args: never[]) => unknown)>;

/** The binding's error (LibrdKafkaError): a librdkafka error code and its flags. */
export interface LibrdkafkaErrorLike extends Error {
  /** librdkafka's error code: negative for client-side errors (e.g. -185 _TIMED_OUT), else Kafka's. */
  code: number;
  isFatal?: boolean;
  isRetriable?: boolean;
  isTxnRequiresAbort?: boolean;
}

export type NodeCallback = (err: LibrdkafkaErrorLike | null | undefined) => void;

/** A message header as produce() takes them: one single-entry object per header, in order. */
export type LibrdkafkaHeader = Record<string, string | Buffer>;

/** Events every client emits (librdkafka's log lines, client-wide errors). */
export interface LibrdkafkaClient {
  on(event: 'event.log', listener: (log: { severity: number; fac: string; message: string }) => void): this;
  on(event: 'event.error', listener: (err: LibrdkafkaErrorLike) => void): this;
  on(event: 'ready' | 'disconnected', listener: (...args: unknown[]) => void): this;
  connect(options: Record<string, unknown>, cb: NodeCallback): void;
  disconnect(cb: NodeCallback): void;
  isConnected(): boolean;
}

/** The native producer (lib/producer.js). */
export interface LibrdkafkaProducer extends LibrdkafkaClient {
  /**
   * Queues one record; returns true, or throws a LibrdKafkaError (e.g. __QUEUE_FULL, a fatal error).
   * partition null: the configured partitioner chooses. timestamp in ms, 0 or null for now.
   */
  produce(topic: string, partition: number | null, value: Buffer | null, key: string | Buffer | null, timestamp: number | null, opaque: unknown, headers?: LibrdkafkaHeader[]): boolean;
  flush(timeoutMs: number, cb: NodeCallback): void;
  setPollInterval(intervalMs: number): this;
  initTransactions(timeoutMs: number, cb: NodeCallback): void;
  beginTransaction(cb: NodeCallback): void;
  commitTransaction(timeoutMs: number, cb: NodeCallback): void;
  abortTransaction(timeoutMs: number, cb: NodeCallback): void;
}

/** The module's exports logpipe uses. */
export interface LibrdkafkaModule {
  Producer: new (globalConfig: LibrdkafkaGlobalConfig, topicConfig?: LibrdkafkaGlobalConfig) => LibrdkafkaProducer;
  /** The native consumer (lib/kafka-consumer.js); typed by its users. */
  KafkaConsumer: new (globalConfig: LibrdkafkaGlobalConfig, topicConfig?: LibrdkafkaGlobalConfig) => unknown;
  AdminClient: { create(globalConfig: LibrdkafkaGlobalConfig): unknown };
  librdkafkaVersion: string;
  /** features compiled in: 'ssl', 'sasl_scram', 'sasl_oauthbearer', ... */
  features: string[];
  CODES: { ERRORS: Record<string, number> };
}
