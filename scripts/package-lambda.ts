/**
 * Builds the deployable Lambda: bundles src/lambda/handler.ts and its dependencies (AWS SDK
 * included, so the deployed code does not depend on the runtime's SDK version) into
 * dist/lambda-bundle/index.js, then zips it into dist/lambda.zip with `index.js` at the root, the
 * layout the Lambda handler setting `index.handler` expects. The source map stays beside the bundle,
 * out of the zip. (Not dist/lambda: that is tsc's output, which an incremental build would not
 * restore after this script removed it.) Prints the zip's size. Run: npm run package:lambda.
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import yazl from 'yazl';

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'dist', 'lambda-bundle');
const bundlePath = path.join(outDir, 'index.js');
const zipPath = path.join(root, 'dist', 'lambda.zip');
/** A fixed timestamp for the zip entry, so the same bundle gives the same zip. */
const ZIP_ENTRY_TIME = new Date('2000-01-01T00:00:00Z');

async function main(): Promise<void> {
  fs.rmSync(outDir, { recursive: true, force: true });
  await build({
    entryPoints: [path.join(root, 'src', 'lambda', 'handler.ts')],
    outfile: bundlePath,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: 'external',
    legalComments: 'none',
    logLevel: 'warning',
  });

  const zip = new yazl.ZipFile();
  zip.addFile(bundlePath, 'index.js', { mtime: ZIP_ENTRY_TIME, mode: 0o100644 });
  zip.end();
  await new Promise<void>((resolve, reject) => {
    zip.outputStream.pipe(fs.createWriteStream(zipPath)).on('close', resolve).on('error', reject);
  });

  const kib = (file: string): string => `${(fs.statSync(file).size / 1024).toFixed(1)} KiB`;
  process.stdout.write(`${path.relative(root, zipPath)}: ${kib(zipPath)} (index.js ${kib(bundlePath)})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`package-lambda: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
