/**
 * A progress bar for long commands, drawn on stderr only when it is a terminal; elsewhere the
 * command's JSON log lines are the record and no bar is drawn.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

/** `total` 0 means unknown: the bar shows a count and rate without a percentage. */
export function progressBar(label: string, total: number, unit: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const format = total > 0 ? `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | {eta_formatted}` : `${label} {value} ${unit} | {rate} ${unit}/s`;
  const bar = new cliProgress.SingleBar({ format, stream, hideCursor: true, clearOnComplete: false, etaBuffer: 50 }, cliProgress.Presets.shades_classic);
  const started = Date.now();
  bar.start(total > 0 ? total : 1, 0, { rate: '0' });
  return {
    update(done) {
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      bar.update(done, { rate: Math.round(done / seconds).toLocaleString('en-US') });
    },
    stop() {
      bar.stop();
    },
  };
}
