// Medians and ratios: every figure of `npm run bench` is a median of repeated runs, and every
// comparison a ratio against a baseline measured in the same run.

/** The median of `samples` (milliseconds). */
export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const at = (index: number) => sorted[index] ?? Number.NaN;
  return sorted.length % 2 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}

/** Runs `once` `times` times (after `warmup` unmeasured runs) and returns each duration in ms. */
export async function sample(
  times: number,
  once: (index: number) => unknown,
  { warmup = 1 } = {},
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await once(i);
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = process.hrtime.bigint();
    await once(i);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return samples;
}

/** `value` rounded to `digits` decimals. */
export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** The `fraction` percentile of `samples` (nearest rank): `percentile(samples, 0.99)` is the p99. */
export function percentile(samples: readonly number[], fraction: number): number {
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}
