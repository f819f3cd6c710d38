/**
 * Loads @confluentinc/kafka-javascript, the native librdkafka binding, when a stage runs on
 * librdkafka (kafka.client, ingest.kafkaClient, report.kafkaClient), and only then: with kafkajs the package is never required, so a machine without it
 * (its install is optional and may have failed) runs logpipe as before.
 */
import { PermanentError } from '../../errors/errors';
import type { LibrdkafkaModule } from './api';

export const LIBRDKAFKA_PACKAGE = '@confluentinc/kafka-javascript';

/** How to get the package, for error messages and --help texts. */
export const LIBRDKAFKA_INSTALL_HINT =
  `install it with \`npm install ${LIBRDKAFKA_PACKAGE}\`; where its prebuilt binary cannot be downloaded, ` +
  `build it from source against the system's OpenSSL and zlib with \`CKJS_LINKING=dynamic npm install ${LIBRDKAFKA_PACKAGE}\` ` +
  '(needs a C++ compiler, make, python3 and the OpenSSL and zlib headers, e.g. Debian\'s build-essential python3 libssl-dev zlib1g-dev); ' +
  'or run on kafkajs (kafka.client, ingest.kafkaClient and report.kafkaClient; LOGPIPE_KAFKA_CLIENT=kafkajs)';

let cached: LibrdkafkaModule | undefined;

/**
 * The binding's module, loaded on first use. Throws a PermanentError naming the package and how to
 * install it when it is missing or its native part cannot be loaded (built for another Node ABI, a
 * missing libssl): retrying cannot help.
 */
export function loadLibrdkafka(requireModule: (id: string) => unknown = require): LibrdkafkaModule {
  if (cached && requireModule === require) return cached;
  let mod: LibrdkafkaModule;
  try {
    mod = requireModule(LIBRDKAFKA_PACKAGE) as LibrdkafkaModule;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(LIBRDKAFKA_PACKAGE) ? 'it is not installed' : `it cannot be loaded: ${e.message?.split('\n')[0] ?? String(err)}`;
    throw new PermanentError(`the Kafka client is librdkafka, but ${LIBRDKAFKA_PACKAGE} ${why}; ${LIBRDKAFKA_INSTALL_HINT}`, { cause: err });
  }
  if (requireModule === require) cached = mod;
  return mod;
}
