/** Small statistics over measured rounds. Empty inputs give undefined, never NaN. */

/** The median; for an even count, the mean of the two middle values. */
export function median(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile (p in 0..100): a value that was actually measured. */
export function percentile(xs: number[], p: number): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const round = (x: number | undefined, digits = 0): number | undefined => (x === undefined ? undefined : Number(x.toFixed(digits)));

/** a / b, undefined when either is missing or b is 0. */
export const ratio = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || !b ? undefined : a / b);
