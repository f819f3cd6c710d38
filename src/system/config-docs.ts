/**
 * The configuration reference (docs/configuration.md), rendered from the schema so that it cannot
 * drift: a unit test compares the committed file with this output.
 */
import { schemaLeaves } from './config';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderConfigDocs(): string {
  const rows = schemaLeaves().map(
    (l) => `| \`${l.key}\` | \`${l.env}\` | \`${cell(JSON.stringify(l.default))}\`${l.sensitive ? ' (secret)' : ''} | ${cell(l.doc)} |`,
  );
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from src/system/config.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'Sources, lowest precedence first: schema defaults, `config/default.json`, `config/<NODE_ENV>.json`',
    '(if present), the file given with `--config FILE`, then environment variables. `--brokers` sets',
    '`kafka.brokers`. Unknown keys and invalid values stop start-up with exit code 2 and one line per',
    'problem naming the key, the value, where it came from and what was expected.',
    '`logpipe config` prints the effective configuration (secrets redacted);',
    '`logpipe config --validate FILE` checks a file.',
    '',
    '| key | environment variable | default | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
