/**
 * Virtual time for a simulation run. While installed, the global timer functions, Date.now and
 * Math.random (and crypto.randomUUID) are this clock's: time moves only when the world says so
 * (World.step, when no I/O is pending), so a run does the same thing every time for the same seed
 * and a minute of retries or timeouts costs nothing.
 *
 * Timers belong to the process whose code created them (an AsyncLocalStorage context, see
 * SimProcess.run): a crashed process's timers never fire, a paused process's fire once it resumes
 * (late, like a SIGSTOPped process's). Timers created outside any process (the broker's) always fire.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
import zlib from 'node:zlib';

/** Who a timer belongs to: a simulated process, as the clock sees it. */
export interface TimerOwner {
  readonly name: string;
  readonly status: 'running' | 'paused' | 'crashed';
}

/** The simulated process whose code is running (set by SimProcess.run, carried across awaits). */
export const currentOwner = new AsyncLocalStorage<TimerOwner>();

interface Timer {
  id: number;
  at: number;
  seq: number;
  callback: (...args: unknown[]) => void;
  args: unknown[];
  repeatMs: number | undefined;
  owner: TimerOwner | undefined;
}

/** What setTimeout returns while the clock is installed: enough of Node's Timeout for our code. */
class VirtualTimeout {
  constructor(readonly id: number, private readonly clock: VirtualClock) {}
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
  refresh(): this {
    this.clock.refresh(this.id);
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

/** A small deterministic PRNG (mulberry32): Math.random while the clock is installed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class VirtualClock {
  private nowMs: number;
  private readonly timers = new Map<number, Timer>();
  private nextId = 1;
  private seq = 0;
  readonly random: () => number;
  private uuids = 0;

  constructor(startMs: number, seed: number) {
    this.nowMs = startMs;
    this.random = seededRandom(seed);
  }

  get now(): number {
    return this.nowMs;
  }

  setTimeout(callback: (...args: unknown[]) => void, ms = 0, ...args: unknown[]): VirtualTimeout {
    return this.add(callback, ms, args, undefined);
  }

  setInterval(callback: (...args: unknown[]) => void, ms = 0, ...args: unknown[]): VirtualTimeout {
    return this.add(callback, ms, args, Math.max(1, ms));
  }

  clear(handle: unknown): void {
    if (handle === undefined || handle === null) return;
    const id = typeof handle === 'number' ? handle : handle instanceof VirtualTimeout ? handle.id : undefined;
    if (id !== undefined) this.timers.delete(id);
  }

  refresh(id: number): void {
    const t = this.timers.get(id);
    if (t) {
      t.at = this.nowMs + (t.repeatMs ?? Math.max(0, t.at - this.nowMs));
      t.seq = this.seq++;
    }
  }

  /** Timers that may still fire (crashed owners' are dropped here). */
  get pending(): number {
    this.dropDead();
    return this.timers.size;
  }

  /** When the next timer that can fire now is due (paused owners' wait for their resume). */
  nextDueAt(): number | undefined {
    let best: Timer | undefined;
    for (const t of this.timers.values()) {
      if (t.owner?.status === 'crashed') continue;
      if (t.owner?.status === 'paused') continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best === undefined ? undefined : Math.max(best.at, this.nowMs);
  }

  /**
   * Moves time to the next due timer (if it is due by `limitMs`) and fires it. Returns false when
   * no timer can fire by then (time is then moved to `limitMs`).
   */
  fireNext(limitMs: number): boolean {
    this.dropDead();
    let best: Timer | undefined;
    for (const t of this.timers.values()) {
      if (t.owner?.status === 'paused') continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    if (!best || best.at > limitMs) {
      if (limitMs > this.nowMs && limitMs !== Infinity) this.nowMs = limitMs;
      return false;
    }
    this.nowMs = Math.max(this.nowMs, best.at);
    if (best.repeatMs !== undefined) {
      best.at = this.nowMs + best.repeatMs;
      best.seq = this.seq++;
    } else this.timers.delete(best.id);
    const fire = (): void => best.callback(...best.args);
    if (best.owner) currentOwner.run(best.owner, fire);
    else currentOwner.exit(fire);
    return true;
  }

  /** Moves time forward without firing anything (used to let a pause last). */
  advance(ms: number): void {
    this.nowMs += ms;
  }

  /** A deterministic v4-shaped UUID (names of consumer groups and barriers). */
  uuid(): `${string}-${string}-${string}-${string}-${string}` {
    const n = (++this.uuids).toString(16).padStart(12, '0');
    const r = Math.floor(this.random() * 0xffffffff).toString(16).padStart(8, '0');
    return `${r}-0000-4000-8000-${n}`;
  }

  /**
   * Replaces the global timers, Date.now, Math.random and crypto.randomUUID with this clock's;
   * returns the function that puts the originals back. setImmediate and process.nextTick stay real:
   * the world uses them to let microtasks settle.
   */
  install(): () => void {
    const g = globalThis as unknown as Record<string, unknown>;
    const saved = {
      setTimeout: g.setTimeout,
      clearTimeout: g.clearTimeout,
      setInterval: g.setInterval,
      clearInterval: g.clearInterval,
      now: Date.now,
      random: Math.random,
      uuid: crypto.randomUUID,
      deflateRaw: zlib.deflateRaw,
    };
    g.setTimeout = (cb: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => this.setTimeout(cb, ms, ...args);
    g.setInterval = (cb: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => this.setInterval(cb, ms, ...args);
    g.clearTimeout = (h: unknown) => this.clear(h);
    g.clearInterval = (h: unknown) => this.clear(h);
    Date.now = () => this.nowMs;
    Math.random = this.random;
    (crypto as { randomUUID: () => string }).randomUUID = () => this.uuid();
    // zlib's callback API runs on libuv's thread pool and calls back whenever it is done: a report's
    // zip (yazl) would finish at a different step on every run. The synchronous form answers on
    // the next tick, every time.
    (zlib as { deflateRaw: unknown }).deflateRaw = (buffer: Buffer, options: zlib.ZlibOptions | ((e: Error | null, r: Buffer) => void), callback?: (e: Error | null, r: Buffer) => void) => {
      const cb = typeof options === 'function' ? options : callback!;
      const opts = typeof options === 'function' ? {} : options;
      let out: Buffer;
      try {
        out = zlib.deflateRawSync(buffer, opts);
      } catch (err) {
        process.nextTick(cb, err as Error, Buffer.alloc(0));
        return;
      }
      process.nextTick(cb, null, out);
    };
    return () => {
      (zlib as { deflateRaw: unknown }).deflateRaw = saved.deflateRaw;
      g.setTimeout = saved.setTimeout;
      g.clearTimeout = saved.clearTimeout;
      g.setInterval = saved.setInterval;
      g.clearInterval = saved.clearInterval;
      Date.now = saved.now;
      Math.random = saved.random;
      (crypto as { randomUUID: unknown }).randomUUID = saved.uuid;
    };
  }

  private add(callback: (...args: unknown[]) => void, ms: number, args: unknown[], repeatMs: number | undefined): VirtualTimeout {
    const id = this.nextId++;
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.timers.set(id, { id, at: this.nowMs + delay, seq: this.seq++, callback, args, repeatMs, owner: currentOwner.getStore() });
    return new VirtualTimeout(id, this);
  }

  private dropDead(): void {
    for (const [id, t] of this.timers) if (t.owner?.status === 'crashed') this.timers.delete(id);
  }
}
