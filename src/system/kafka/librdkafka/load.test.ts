import { isRetriable } from '../../errors/errors';
import { loadLibrdkafka } from './load';

// kafka.client librdkafka on a machine without the package: a clear, permanent error saying how to install it.
describe('loadLibrdkafka', () => {
  it('names the package and the from-source install when it is not installed', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module '@confluentinc/kafka-javascript'"), { code: 'MODULE_NOT_FOUND' });
    };
    let err: unknown;
    try {
      loadLibrdkafka(missing);
    } catch (e) {
      err = e;
    }
    expect(isRetriable(err)).toBe(false);
    expect((err as Error).message).toMatch(/@confluentinc\/kafka-javascript it is not installed.*CKJS_LINKING=dynamic npm install @confluentinc\/kafka-javascript.*libssl-dev.*run on kafkajs \(kafka\.client, ingest\.kafkaClient and report\.kafkaClient/);
  });

  it('says why when the native part cannot be loaded', () => {
    const broken = () => {
      throw new Error('libssl.so.3: cannot open shared object file: No such file or directory\nRequire stack: ...');
    };
    expect(() => loadLibrdkafka(broken)).toThrow(/it cannot be loaded: libssl\.so\.3: cannot open shared object file: No such file or directory;/);
  });

  it('returns what the package exports', () => {
    const mod = { Producer: class {} };
    expect(loadLibrdkafka(() => mod)).toBe(mod);
  });
});
