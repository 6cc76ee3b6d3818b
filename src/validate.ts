/**
 * Argument checks shared by the public API: each throws a `TypeError` or
 * `RangeError` that names the argument.
 * @module
 */

/** @throws {TypeError} unless `value` is a function */
export function assertFunction(value: unknown, name: string): void {
  if (typeof value !== "function") throw new TypeError(`${name} must be a function, got ${describe(value)}`);
}

/**
 * Checks a size, count or duration: a non-negative safe integer.
 * @throws {TypeError} when `value` is not a number
 * @throws {RangeError} when it is negative, fractional or not finite
 */
export function checkNonNegativeInteger(value: unknown, name: string): number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}

/**
 * Checks a count that must be at least 1.
 * @throws {TypeError} when `value` is not a number
 * @throws {RangeError} when it is not an integer of at least 1
 */
export function checkPositiveInteger(value: unknown, name: string): number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be an integer of at least 1, got ${value}`);
  }
  return value;
}

/** A short description of a value's type for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}
