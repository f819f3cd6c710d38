/**
 * The "naive kafkajs loop" peer of the ingest benchmark: what a typical user writes first — read
 * the file line by line and `await producer.send()` each line as one record, kafkajs defaults
 * (acks=-1, no batching across sends, no transactions). It stops after --seconds (the loop is far
 * too slow to finish a large file) and prints one JSON line: {lines, seconds, linesPerSecond}.
 * `seconds` is the loop's time only (connecting excluded), so the rate is the steady state.
 *
 * Usage: node -r ts-node/register/transpile-only bench/naive-producer.ts --file F --topic T
 *          --brokers 127.0.0.1:9092 --seconds 10
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error(`--${name} is required`);
  return process.argv[i + 1];
}

async function main(): Promise<void> {
  const file = arg('file');
  const topic = arg('topic');
  const brokers = arg('brokers').split(',');
  const limitMs = Number(arg('seconds')) * 1000;
  const kafka = new Kafka({ clientId: 'bench-naive', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const input = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let lines = 0;
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(limitMs) * 1_000_000n;
  for await (const line of input) {
    await producer.send({ topic, messages: [{ value: line }] });
    lines++;
    if (process.hrtime.bigint() >= deadline) break;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  input.close();
  await producer.disconnect();
  process.stdout.write(`${JSON.stringify({ lines, seconds, linesPerSecond: Math.round(lines / seconds) })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`naive-producer: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
