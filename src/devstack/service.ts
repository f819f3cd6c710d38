import type { Prerequisite } from './prereqs';
import type { SpawnSpec } from './process';

/** One process of the local stack, as `logpipe dev` manages it. */
export interface StackService {
  name: 'kafka' | 'moto' | 'ses';
  /** Port on 127.0.0.1 the service listens on once ready. */
  port: number;
  /** A string only this service's command line contains; guards against signalling a recycled pid. */
  identity: string;
  /** Programs that must exist before prepare() (checked only when prepare has work to do). */
  prerequisites(): Prerequisite[];
  /** Installs and initialises what the service needs; idempotent and cached in the stack folder. */
  prepare(log: (message: string) => void): Promise<void>;
  /**
   * Set-up that needs the running service (e.g. users created through its API); idempotent, run
   * after every `dev up` once the service is ready, also when it was already running.
   */
  afterReady?(log: (message: string) => void): Promise<void>;
  /** How to run it. */
  spawnSpec(): SpawnSpec;
  /** One readiness probe; false while the service is starting. */
  probe(): Promise<boolean>;
  /** A one-line description of the running service (version), best effort. */
  describe(): Promise<string>;
}
