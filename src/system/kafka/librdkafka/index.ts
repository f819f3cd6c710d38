/**
 * librdkafka through @confluentinc/kafka-javascript's own API, for kafka.client librdkafka: loading
 * the optional native module, the configuration mapping, error classification. Import from here.
 */
export * from './api';
export { loadLibrdkafka, LIBRDKAFKA_PACKAGE, LIBRDKAFKA_INSTALL_HINT } from './load';
export { librdkafkaGlobalConfig, SYSLOG_LEVELS, type LibrdkafkaConnectionConfig, type LibrdkafkaGlobalConfigOptions, type OauthbearerToken } from './global-config';
export { fromLibrdkafka, isLibrdkafkaError } from './errors';
export { forwardLibrdkafkaLogs, librdkafkaCall, librdkafkaConfigFor } from './client';
export { KeyBuffers, nulSafe, toLibrdkafkaHeaders } from './records';
