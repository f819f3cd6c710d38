/**
 * npm run test:sim -- [--sim NAME|all] [--runs N] [--seed S] [--path P --replay R] [--minutes M]
 *
 * Runs the simulation for as many generated cases as asked (default 1,000 per simulation), or
 * replays one failure (--seed and --path, as a failure report prints them). Exits 1 on a failure.
 */
import { runSimulation } from './runner';
import { SIMULATIONS } from './simulations';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const which = arg('sim') ?? 'all';
  const runs = Number(arg('runs') ?? 1_000);
  const seed = arg('seed') !== undefined ? Number(arg('seed')) : undefined;
  const path = arg('path');
  const replayPath = arg('replay');
  const minutes = arg('minutes') !== undefined ? Number(arg('minutes')) : undefined;
  const chosen = Object.values(SIMULATIONS).filter((s) => which === 'all' || s.name === which);
  if (chosen.length === 0) {
    process.stderr.write(`unknown simulation "${which}"; one of: ${Object.keys(SIMULATIONS).join(', ')}, all\n`);
    return 2;
  }
  let failed = false;
  for (const sim of chosen) {
    let last = Date.now();
    const result = await runSimulation(sim, {
      runs,
      seed,
      path,
      replayPath,
      timeLimitMs: minutes ? minutes * 60_000 : undefined,
      onRun: (done) => {
        if (Date.now() - last > 10_000) {
          last = Date.now();
          process.stderr.write(`${sim.name}: ${done} runs\n`);
        }
      },
    });
    process.stdout.write(`${result.report}\n`);
    failed ||= result.failed;
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  },
);
