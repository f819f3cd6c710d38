/**
 * The shape of bench/results/<timestamp>.json. Every run of every tool is kept raw (`runs`); the
 * summaries are derived from them (medians) and are what docs/benchmarks.md shows.
 */
import type { Machine } from '../machine';
import type { CoresResults } from './cores';
import type { StartupResults } from './startup';

/** One execution of one tool. Rates are lines (records) per second. */
export interface ToolRun {
  tool: string;
  round: number;
  topic?: string;
  ok: boolean;
  error?: string;
  lines: number;
  /** Spawn to exit, start-up included. */
  wallSeconds: number;
  wallLinesPerSecond: number;
  /** The tool's own measurement when it makes one (logpipe's summary, the Kafka tools' output, the naive loop). */
  reportedLinesPerSecond?: number;
  /** The rate used in tables and ratios: `reportedLinesPerSecond` when present, else the wall-clock rate. */
  linesPerSecond: number;
  peakRssBytes?: number;
  /** Anything else the tool printed that matters (logpipe's summary, window counts, ...). */
  detail?: Record<string, unknown>;
}

export interface ToolSummary {
  tool: string;
  /** How the rate is measured, for the table's footnotes. */
  basis: string;
  runs: number;
  okRuns: number;
  linesPerSecond?: number;
  wallLinesPerSecond?: number;
  mbPerSecond?: number;
  peakRssBytes?: number;
  /** logpipe's median rate divided by this tool's (> 1: logpipe is faster). */
  logpipeRatio?: number;
  unavailable?: string;
}

export interface Stage {
  lines: number;
  bytes: number;
  tools: ToolSummary[];
  runs: ToolRun[];
  commands: Record<string, string>;
}

export interface LatencySample {
  object: number;
  key: string;
  warmUp: boolean;
  seconds?: number;
  error?: string;
}

export interface MemoryPoint {
  lines: number;
  bytes: number;
  peakRssBytes?: number;
  linesPerSecond?: number;
  uploadSeconds?: number;
  kcatLinesPerSecond?: number;
  /** "ingest rounds" when the point reuses the ingest comparison's runs (median of them). */
  source: string;
  error?: string;
}

export interface BenchResults {
  benchmark: 'bench';
  mode: 'quick' | 'full';
  when: string;
  totalSeconds: number;
  machine: Machine & { kafka?: string; kcat?: string; kafkajs?: string; moto?: string; ses?: string };
  git?: { commit: string; dirty: boolean };
  profile: Record<string, unknown>;
  scaleNote: string;
  data: { seed: number; generateCommand: string; files: Array<{ lines: number; bytes: number; origin: string }> };
  stack: { started: string[]; alreadyRunning: string[] };
  ingest?: Stage;
  /** loadAverages: the machine's 1-minute load average before each round's logpipe report run (a shared machine). */
  report?: Stage & { windows?: number; countedLines?: number; loadAverages?: number[] };
  latency?: {
    settings: Record<string, unknown>;
    env: Record<string, string>;
    samples: LatencySample[];
    p50Seconds?: number;
    p95Seconds?: number;
    minSeconds?: number;
    maxSeconds?: number;
    measured: number;
    commands: Record<string, string>;
    /**
     * Every settings profile measured side by side (the first is the one the fields above repeat:
     * the alerting settings of docs/operations.md); absent in results written before they were.
     */
    profiles?: Array<{
      name: string;
      settings: Record<string, unknown>;
      env: Record<string, string>;
      samples: LatencySample[];
      measured: number;
      p50Seconds?: number;
      p90Seconds?: number;
      p95Seconds?: number;
      minSeconds?: number;
      maxSeconds?: number;
      /** Where the time went (bench/lib/latency-breakdown.ts): p50 and p90 of each hop over the objects explained. */
      breakdown: { objects: number; hops: Array<{ hop: string; p50Ms?: number; p90Ms?: number }>; unexplained: string[] };
      /** CPU seconds (user + system) of the service over its whole run, and that run's wall-clock seconds. */
      cpuSeconds?: number;
      wallSeconds?: number;
      command: string;
    }>;
    /** The machine's 1-minute load average when the section began and ended. */
    loadAverage?: { before: number; after: number };
  };
  memory?: { points: MemoryPoint[]; commands: Record<string, string> };
  parser?: { lines: number; rounds: number; results: Array<{ name: string; linesPerSecond: number; rounds: number[] }>; resultsFile?: string; command: string };
  startup?: StartupResults;
  cores?: CoresResults;
  skipped: Record<string, string>;
  stepSeconds: Record<string, number>;
}
