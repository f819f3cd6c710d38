import { isRetriable } from '../../errors/errors';
import { fromLibrdkafka, PERMANENT_CODES, TRANSIENT_CODES } from './errors';

/** The binding's LibrdKafkaError as its callbacks deliver it: an Error with a numeric code and flags. */
const rd = (code: number, flags: { isFatal?: boolean; isRetriable?: boolean; isTxnRequiresAbort?: boolean } = {}) =>
  Object.assign(new Error(`Local: error ${code}`), { code, origin: 'kafka', isFatal: false, isRetriable: false, isTxnRequiresAbort: false, ...flags });

// Whether logpipe retries a librdkafka failure: isRetriable reads the flag fromLibrdkafka sets.
describe('fromLibrdkafka', () => {
  it.each<[string, Error, boolean]>([
    ['a broker connection failed (_TRANSPORT)', rd(-195), true],
    ['all brokers down', rd(-187), true],
    ['a timed-out operation', rd(-185), true],
    ['a full local queue', rd(-184), true],
    ['a Kafka error librdkafka marks retriable (NOT_COORDINATOR)', rd(16, { isRetriable: true }), true],
    ['an abortable transaction error (abort and try again)', rd(48, { isTxnRequiresAbort: true }), true],
    ['fenced by a newer producer (_FENCED)', rd(-144, { isFatal: true }), false],
    ['PRODUCER_FENCED even if marked abortable', rd(90, { isTxnRequiresAbort: true }), false],
    ['INVALID_PRODUCER_EPOCH', rd(47), false],
    ['any fatal error, whatever its code', rd(-185, { isFatal: true }), false],
    ['authentication failed', rd(-169), false],
    ['topic authorization failed', rd(29), false],
    ['a record too large', rd(10), false],
    ['an unknown local error', rd(-199), false],
  ])('%s → retriable %s', (_what, err, retriable) => {
    const out = fromLibrdkafka(err, 'commit the transaction');
    expect([isRetriable(out), (out as Error).cause]).toEqual([retriable, err]);
    expect((out as Error).message).toMatch(/^librdkafka: cannot commit the transaction: Local: error/);
  });

  it('returns other errors as they are', () => {
    const bug = new TypeError('x is undefined');
    expect(fromLibrdkafka(bug, 'produce')).toBe(bug);
  });

  // The codes are written out so this module loads without the native package; where it is
  // installed, they must be the binding's.
  it('names its codes as the binding does', () => {
    let codes: Record<string, number>;
    try {
      codes = (require('@confluentinc/kafka-javascript') as { CODES: { ERRORS: Record<string, number> } }).CODES.ERRORS;
    } catch {
      return; // not installed: the kafkajs-only setup; the librdkafka CI run has it
    }
    for (const [name, code] of Object.entries({ ...TRANSIENT_CODES, ...PERMANENT_CODES })) expect([name, codes[name]]).toEqual([name, code]);
  });
});
