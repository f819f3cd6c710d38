import { assertKafkajsPatched, filtersAbortedTransactions, installedAbortedFilter } from './kafkajs-patch';

describe('kafkajs read_committed filter', () => {
  it('the installed kafkajs drops a record of an aborted transaction when the fetch began after another aborted transaction started', () => {
    // Fails on kafkajs 2.2.4 as published: its filter marks one aborted transaction per record.
    expect(filtersAbortedTransactions(installedAbortedFilter())).toBe(true);
    expect(() => assertKafkajsPatched()).not.toThrow();
  });

  it('a filter that exposes the record is refused, naming the patch and how to apply it', () => {
    const exposesAll = ((input: { messages: unknown[] }) => input.messages) as Parameters<typeof filtersAbortedTransactions>[0];
    expect(filtersAbortedTransactions(exposesAll)).toBe(false);
    jest.isolateModules(() => {
      // A fresh module: the process-wide "checked once" flag of the module above is set.
      const fresh = require('./kafkajs-patch') as typeof import('./kafkajs-patch');
      expect(() => fresh.assertKafkajsPatched(exposesAll)).toThrow(/patches\/kafkajs\+2\.2\.4\.patch.*npx patch-package/s);
    });
  });
});
