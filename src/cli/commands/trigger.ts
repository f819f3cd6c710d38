import type { Command } from 'commander';
import { contextFromCommand } from '../context';

/** `logpipe trigger BUCKET KEY`: asks the running service to ingest an object (POST /v1/ingest). */
export function registerTriggerCommand(program: Command): void {
  program
    .command('trigger')
    .description('ask the running `logpipe start` to ingest s3://BUCKET/KEY through its control API; exit 1 if refused, 3 if unreachable')
    .argument('<bucket>')
    .argument('<key>')
    .option('--version-id <id>', 'a specific object version')
    .action(async (bucket: string, key: string, opts: { versionId?: string }, command: Command) => {
      const { loaded } = contextFromCommand(command);
      const { host, port, token } = loaded.config.control;
      // An IPv6 literal needs brackets in a URL; a wildcard bind address is reached on loopback.
      const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
      const url = `http://${target}:${port}/v1/ingest`;
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          // control.token (LOGPIPE_CONTROL_TOKEN) when the service requires one.
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ bucket, key, ...(opts.versionId ? { versionId: opts.versionId } : {}) }),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (err) {
        process.stderr.write(`logpipe: the service is not reachable at ${url} (${(err as Error).cause ? String((err as { cause: Error }).cause.message) : (err as Error).message}); is \`logpipe start\` running?\n`);
        process.exitCode = 3;
        return;
      }
      const text = await res.text();
      if (res.status === 202) {
        process.stdout.write(`${text}\n`);
        return;
      }
      let reason = text;
      try {
        reason = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // Not our JSON: show it as it is.
      }
      process.stderr.write(`logpipe: the service did not accept the request (HTTP ${res.status}): ${reason}\n`);
      process.exitCode = 1;
    });
}
