/**
 * Records as the binding's produce() must get them, for every producer on librdkafka (the ingest
 * publisher, the report stage's transactions in rdkafka-port.ts).
 */
import type { IHeaders } from 'kafkajs';
import type { LibrdkafkaHeader } from './api';

/**
 * A string as the binding must get it to keep all of it: the binding copies string keys and header
 * values as C strings, which end at the first NUL ('\u0000barrier …' became an empty key and the
 * ledger never read its barrier back), so those go as UTF-8 Buffers; others stay strings.
 */
export function nulSafe(v: string): string | Buffer {
  return v.indexOf('\u0000') === -1 ? v : Buffer.from(v, 'utf8');
}

/**
 * kafkajs-style headers as produce() takes them: one single-entry object per header value, in the
 * order of the names (an array value gives one header per element, as kafkajs sends it); string
 * values with a NUL as Buffers (nulSafe).
 */
export function toLibrdkafkaHeaders(headers: IHeaders | undefined): LibrdkafkaHeader[] | undefined {
  if (!headers) return undefined;
  const out: LibrdkafkaHeader[] = [];
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const one of v) out.push({ [name]: typeof one === 'string' ? nulSafe(one) : one });
    else out.push({ [name]: typeof v === 'string' ? nulSafe(v) : v });
  }
  return out;
}

/**
 * Record keys as Buffers (the binding would cut a string key at a NUL, see nulSafe), the last one
 * remembered: every record of an object carries the same key, so one Buffer serves the batch.
 */
export class KeyBuffers {
  private lastKey: string | undefined;
  private lastBuffer: Buffer | undefined;

  of(key: string | Buffer | null | undefined): Buffer | null {
    if (key == null) return null;
    if (typeof key !== 'string') return key;
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.lastBuffer = Buffer.from(key, 'utf8');
    }
    return this.lastBuffer as Buffer;
  }
}
