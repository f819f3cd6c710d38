/**
 * Kafka protocol errors as kafkajs raises them (KafkaJSProtocolError with the broker's error type,
 * message and retriable flag, from kafkajs's own table), so code under test sees what it would see
 * from a real broker.
 */
import { KafkaJSProtocolError } from 'kafkajs';

// kafkajs's table of protocol error codes: not part of its typed API, but it is the source of truth.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { errorCodes } = require('kafkajs/src/protocol/error') as { errorCodes: Array<{ type: string; code: number; retriable: boolean; message: string }> };

export type ProtocolErrorType =
  | 'INVALID_PRODUCER_EPOCH'
  | 'CONCURRENT_TRANSACTIONS'
  | 'INVALID_TXN_STATE'
  | 'REBALANCE_IN_PROGRESS'
  | 'ILLEGAL_GENERATION'
  | 'UNKNOWN_MEMBER_ID'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'TOPIC_ALREADY_EXISTS'
  | 'OFFSET_OUT_OF_RANGE';

/** The KafkaJSProtocolError kafkajs would raise for a broker answer of this type. */
export function protocolError(type: ProtocolErrorType): KafkaJSProtocolError {
  const code = errorCodes.find((e) => e.type === type);
  if (!code) throw new Error(`kafkajs has no protocol error ${type}`);
  return new KafkaJSProtocolError(code as never);
}

/** Whether an error is one of these protocol errors. */
export function isProtocolError(err: unknown, ...types: ProtocolErrorType[]): boolean {
  const t = (err as { type?: string } | undefined)?.type;
  return typeof t === 'string' && (types as string[]).includes(t);
}
