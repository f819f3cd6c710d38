/**
 * The log topic's partitioner: kafkajs's DefaultPartitioner (the Java client's: murmur2 of the key,
 * made positive, modulo the partition count), with the last key's partition remembered. Every
 * record of one object carries the same key (its source), so hashing the key once per batch instead
 * of once per record gives the same partitions for less: murmur2 with kafkajs's Long arithmetic was
 * about 6% of `logpipe ingest`'s CPU time (docs/benchmarks.md, "Where the time goes").
 */
import { type ICustomPartitioner, Partitioners } from 'kafkajs';

/**
 * A kafkajs partitioner factory (`createPartitioner`). Records with an explicit partition or without
 * a string key go to the DefaultPartitioner unchanged (null keys: its round robin).
 */
export const createCachingPartitioner: ICustomPartitioner = () => {
  const inner = Partitioners.DefaultPartitioner();
  let last: { topic: string; key: string; partitions: number; partition: number } | undefined;
  return (args) => {
    const { topic, partitionMetadata, message } = args;
    if (typeof message.key !== 'string' || (message.partition !== undefined && message.partition !== null)) return inner(args);
    if (last && last.key === message.key && last.topic === topic && last.partitions === partitionMetadata.length) return last.partition;
    const partition = inner(args);
    last = { topic, key: message.key, partitions: partitionMetadata.length, partition };
    return partition;
  };
};
