/**
 * The hostile-client toolkit for the reliability suite: generate reproducible
 * hostile cases from a seed, and run them against a server over raw TCP.
 *
 * ```ts
 * const cases = generateHostileCases(0x5eed, 10_000);
 * const summary = await runHostileCases("ws://127.0.0.1:8080/ws", cases, { concurrency: 48 });
 * ```
 *
 * @module
 */

export {
  generateHostileCase,
  generateHostileCases,
  HOSTILE_FAMILIES,
  type CaseExpectation,
  type CaseHandshake,
  type HostileCase,
  type HostileChunk,
  type HostileFamily,
} from "./hostile_cases.ts";
export {
  runCase,
  runHostileCases,
  type CaseOutcome,
  type CaseResult,
  type HostileSummary,
  type RunOptions,
} from "./hostile_runner.ts";
