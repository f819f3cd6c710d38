import fs from 'node:fs';
import path from 'node:path';
import { renderConfigDocs } from './config-docs';
import { packageRoot } from './paths';

describe('docs/configuration.md', () => {
  // The reference must change in the same commit as the schema.
  it('matches the schema (regenerate with `npm run docs`)', () => {
    const committed = fs.readFileSync(path.join(packageRoot(), 'docs', 'configuration.md'), 'utf8');
    expect(committed).toBe(renderConfigDocs());
  });

  it('lists every key with its environment variable', () => {
    const text = renderConfigDocs();
    expect(text).toContain('| `kafka.brokers` | `LOGPIPE_KAFKA_BROKERS` | `["127.0.0.1:9092"]` |');
    expect(text).toContain('`aws.secretAccessKey` | `LOGPIPE_AWS_SECRET_ACCESS_KEY` | `"test"` (secret)');
  });
});
