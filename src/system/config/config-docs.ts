/**
 * The configuration reference, rendered from the schema so that it cannot drift: docs/configuration.md
 * (renderConfigDocs) and the table in README.md (renderConfigTable), both written by `npm run docs`
 * (scripts/gen-docs.ts) and compared with the committed files by `npm run docs:check` and the unit tests.
 */
import { schemaLeaves } from './config';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The Markdown table of every schema key: key, environment variable, default, meaning. */
export function renderConfigTable(): string {
  const rows = schemaLeaves().map(
    (l) => `| \`${l.key}\` | \`${l.env}\` | \`${cell(JSON.stringify(l.default))}\`${l.sensitive ? ' (secret)' : ''} | ${cell(l.doc)} |`,
  );
  return ['| key | environment variable | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** The whole of docs/configuration.md. */
export function renderConfigDocs(): string {
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from src/system/config/config.ts by `npm run docs`; do not edit by hand. -->',
    '',
    'Sources, lowest precedence first: schema defaults, `config/default.json`, `config/<NODE_ENV>.json`',
    '(if present), the file given with `--config FILE`, then environment variables. `--brokers` sets',
    '`kafka.brokers`. Unknown keys and invalid values stop start-up with exit code 2 and one line per',
    'problem naming the key, the value, where it came from and what was expected.',
    '`logpipe config` prints the effective configuration (secrets redacted);',
    '`logpipe config --validate FILE` checks a file.',
    '',
    renderConfigTable(),
    '',
  ].join('\n');
}
