/** Small statistics helpers: median and percentiles over plain number arrays. */

/** The q-quantile (0..1) of `values` by nearest rank; NaN for an empty array. Sorts a copy. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** The median of `values` (mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[mid] ?? Number.NaN;
  return ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Smallest and largest of `values`; NaNs when empty. */
export function range(values: readonly number[]): [number, number] {
  if (values.length === 0) return [Number.NaN, Number.NaN];
  return [Math.min(...values), Math.max(...values)];
}

/** Spread of `values` as (max − min) / median, a rough noise figure; NaN when undefined. */
export function relativeSpread(values: readonly number[]): number {
  const [lo, hi] = range(values);
  const mid = median(values);
  return mid > 0 ? (hi - lo) / mid : Number.NaN;
}
