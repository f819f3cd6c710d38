import fs from 'node:fs';
import path from 'node:path';
import { Upload } from '@aws-sdk/lib-storage';
import type { Command } from 'commander';
import { createS3 } from '../../system/kafka/clients';
import { contextFromCommand, UsageError } from '../context';
import { explainS3Error, PreflightError } from '../preflight';
import { progressBar } from '../progress';

/** `logpipe upload FILE --bucket B [--key K]`: puts a file into S3, multipart when it is big. */
export function registerUploadCommand(program: Command): void {
  program
    .command('upload')
    .description('upload a file to S3 (multipart for big files); prints {bucket, key, bytes, etag} as JSON')
    .argument('<file>')
    .requiredOption('--bucket <name>', 'destination bucket')
    .option('--key <key>', 'object key (default: the file name)')
    .action(async (file: string, opts: { bucket: string; key?: string }, command: Command) => {
      const { loaded, logger } = contextFromCommand(command);
      let size: number;
      try {
        size = (await fs.promises.stat(file)).size;
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const key = opts.key ?? path.basename(file);
      const s3 = createS3(loaded.config);
      const bar = progressBar(`upload ${key}`, size, 'bytes');
      try {
        const upload = new Upload({ client: s3, params: { Bucket: opts.bucket, Key: key, Body: fs.createReadStream(file) }, queueSize: 4, partSize: 8 * 1024 * 1024 });
        upload.on('httpUploadProgress', (p) => bar.update(p.loaded ?? 0));
        const out = await upload.done();
        bar.stop();
        logger.child({ component: 'upload' }).info('uploaded', { bucket: opts.bucket, key, bytes: size });
        process.stdout.write(`${JSON.stringify({ bucket: opts.bucket, key, bytes: size, etag: (out.ETag ?? '').replace(/"/g, '') })}\n`);
      } catch (err) {
        bar.stop();
        const explained = explainS3Error(err, loaded.config, opts.bucket, 'create it first, or check the name given with --bucket');
        throw explained ? new PreflightError(explained) : err;
      } finally {
        s3.destroy();
      }
    });
}
