/**
 * Runs hostile cases against a live server over raw TCP and summarises how
 * each connection ended. Never throws on socket errors: a refused or reset
 * connection is an outcome like any other.
 *
 * @module
 */

import { connect } from "node:net";
import { buildHandshakeRequest, closePayload, encodeFrame, Opcode } from "./frame.ts";
import { FrameParser } from "./frame_parser.ts";
import { parseResponseHead } from "./http_response.ts";
import type { HostileCase } from "./hostile_cases.ts";
import { parseWsUrl } from "./raw_client.ts";

/**
 * How a case ended:
 * `http:NNN` — the server answered the upgrade with status NNN (`http:101` only when the
 * case had nothing to send after it, i.e. the server accepted a defective handshake);
 * `close:CODE` — the server sent a close frame (1005 = empty payload);
 * `closed` — the server ended the TCP connection without a close frame or response;
 * `reset` — the connection was reset (ECONNRESET / EPIPE);
 * `timeout` — nothing ended it within `timeoutMs` after the last write;
 * `connect_error` — the TCP connection could not be made (server down?).
 */
export type CaseOutcome = `http:${number}` | `close:${number}` | "closed" | "reset" | "timeout" | "connect_error";

/** The result of one case. */
export interface CaseResult {
  name: string;
  family: string;
  variant: string;
  seed: number;
  index: number;
  outcome: CaseOutcome;
  /** HTTP status of the response head, when one arrived. */
  status?: number;
  closeCode?: number;
  closeReason?: string;
  /** Text/binary frames received (echoes). */
  messages: number;
  pongs: number;
  bytesReceived: number;
  durationMs: number;
  /** Socket error code, if any (e.g. `ECONNRESET`). */
  error?: string;
  /** Why this result looks wrong for the case's expectation, if it does. */
  unexpected?: string;
}

/** Options for {@link runHostileCases}. */
export interface RunOptions {
  /** Connections in flight at once; default 32. */
  concurrency?: number;
  /** How long to wait for the server after the last write (and for connect + response); default 1000 ms. */
  timeoutMs?: number;
  /** Keep every {@link CaseResult} in the summary (default false: only unexpected ones). */
  keepResults?: boolean;
  /** Cap on `unexpected` entries kept per family; default 10 (all are counted). */
  maxUnexpectedPerFamily?: number;
  /** Called after each case. */
  onResult?: (result: CaseResult) => void;
}

/** What a run saw. */
export interface HostileSummary {
  casesRun: number;
  durationMs: number;
  byFamily: Record<string, number>;
  byOutcome: Record<string, number>;
  byFamilyOutcome: Record<string, Record<string, number>>;
  /** Keyed `family:variant`. */
  byVariantOutcome: Record<string, Record<string, number>>;
  messagesReceived: number;
  pongsReceived: number;
  /** Cases whose outcome contradicts their expectation, or that timed out / could not connect. */
  unexpectedCount: number;
  /** The first few unexpected results of each family. */
  unexpected: CaseResult[];
  results?: CaseResult[];
}

/**
 * Runs `cases` against `url` (ws://host:port/path) with bounded concurrency:
 * for each, opens a TCP connection, writes its bytes, reads until the server
 * closes, sends a close frame or answers HTTP, or `timeoutMs` passes, then
 * destroys the socket.
 */
export async function runHostileCases(
  url: string | URL,
  cases: readonly HostileCase[],
  options: RunOptions = {},
): Promise<HostileSummary> {
  const target = parseWsUrl(url);
  const concurrency = Math.max(1, options.concurrency ?? 32);
  const timeoutMs = options.timeoutMs ?? 1000;
  const maxUnexpected = options.maxUnexpectedPerFamily ?? 10;
  const keptPerFamily = new Map<string, number>();
  const summary: HostileSummary = {
    casesRun: 0,
    durationMs: 0,
    byFamily: {},
    byOutcome: {},
    byFamilyOutcome: {},
    byVariantOutcome: {},
    messagesReceived: 0,
    pongsReceived: 0,
    unexpectedCount: 0,
    unexpected: [],
    ...(options.keepResults ? { results: [] } : {}),
  };
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++] as HostileCase;
      const result = await runCase(target, c, timeoutMs);
      judge(c, result);
      record(summary, result, maxUnexpected, keptPerFamily);
      options.onResult?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, cases.length) }, worker));
  summary.durationMs = Math.round(performance.now() - started);
  return summary;
}

function record(summary: HostileSummary, r: CaseResult, maxUnexpected: number, kept: Map<string, number>): void {
  summary.casesRun++;
  summary.byFamily[r.family] = (summary.byFamily[r.family] ?? 0) + 1;
  summary.byOutcome[r.outcome] = (summary.byOutcome[r.outcome] ?? 0) + 1;
  const fam = (summary.byFamilyOutcome[r.family] ??= {});
  fam[r.outcome] = (fam[r.outcome] ?? 0) + 1;
  const variant = (summary.byVariantOutcome[`${r.family}:${r.variant}`] ??= {});
  variant[r.outcome] = (variant[r.outcome] ?? 0) + 1;
  summary.messagesReceived += r.messages;
  summary.pongsReceived += r.pongs;
  if (r.unexpected !== undefined) {
    summary.unexpectedCount++;
    const n = kept.get(r.family) ?? 0;
    if (n < maxUnexpected) {
      kept.set(r.family, n + 1);
      summary.unexpected.push(r);
    }
  }
  summary.results?.push(r);
}

/** Marks results that contradict the case's expectation. */
function judge(c: HostileCase, r: CaseResult): void {
  if (r.outcome === "timeout") r.unexpected = "no end within the timeout (server hung or ignored the fault)";
  else if (r.outcome === "connect_error") r.unexpected = `could not connect (${r.error ?? "?"})`;
  else if (c.expect === "fail" && (r.outcome === "http:101" || r.outcome === "close:1000")) {
    r.unexpected = `accepted a faulty case (${r.outcome})`;
  } else if (c.expect === "ok") {
    if (r.outcome !== "close:1000") r.unexpected = `a well-formed case ended with ${r.outcome}`;
    else if (r.messages < c.expectedMessages) r.unexpected = `echoed ${r.messages} of ${c.expectedMessages} messages`;
  }
}

interface Target {
  host: string;
  port: number;
  hostHeader: string;
  path: string;
}

const CLOSE_REPLY = encodeFrame({ opcode: Opcode.CLOSE, payload: closePayload(1000), maskKey: Uint8Array.of(1, 2, 3, 4) });

/** Runs one case; resolves (never rejects) once it has ended. */
export function runCase(target: Target, c: HostileCase, timeoutMs: number): Promise<CaseResult> {
  return new Promise<CaseResult>((resolve) => {
    const started = performance.now();
    const result: CaseResult = {
      name: c.name,
      family: c.family,
      variant: c.variant,
      seed: c.seed,
      index: c.index,
      outcome: "timeout",
      messages: 0,
      pongs: 0,
      bytesReceived: 0,
      durationMs: 0,
    };
    const request = c.handshake
      ? buildHandshakeRequest({ host: target.hostHeader, path: target.path, ...c.handshake }).bytes
      : null;
    const parser = new FrameParser();
    let head: Uint8Array | null = new Uint8Array(0); // bytes until a response head is parsed; null after
    let finished = false;
    let writing = false;
    let chunkTimer: ReturnType<typeof setTimeout> | undefined;
    let deadline: ReturnType<typeof setTimeout> | undefined;
    let connected = false;

    const socket = connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);

    const armDeadline = (): void => {
      clearTimeout(deadline);
      deadline = setTimeout(() => finish("timeout"), timeoutMs);
    };
    const finish = (outcome: CaseOutcome, graceful = false): void => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      clearTimeout(chunkTimer);
      result.outcome = outcome;
      result.durationMs = Math.round(performance.now() - started);
      if (graceful && !socket.destroyed) {
        // Answer the server's close frame and let it close first; destroy soon regardless.
        socket.end(CLOSE_REPLY);
        const t = setTimeout(() => socket.destroy(), 200);
        socket.once("close", () => clearTimeout(t));
      } else {
        socket.destroy();
      }
      resolve(result);
    };
    const writeChunks = (i: number): void => {
      if (finished) return;
      const chunk = c.chunks[i];
      if (chunk === undefined) {
        if (c.after === "hangup") socket.end();
        armDeadline();
        return;
      }
      const go = (): void => {
        if (finished || socket.destroyed) return;
        socket.write(chunk.bytes);
        armDeadline();
        writeChunks(i + 1);
      };
      if (chunk.delayMs > 0) chunkTimer = setTimeout(go, chunk.delayMs);
      else go();
    };
    const startWriting = (): void => {
      if (writing) return;
      writing = true;
      writeChunks(0);
    };
    const onFrames = (bytes: Uint8Array): void => {
      for (const frame of parser.push(bytes)) {
        if (frame.kind === "text" || frame.kind === "binary") result.messages++;
        else if (frame.kind === "pong") result.pongs++;
        else if (frame.kind === "close") {
          result.closeCode = frame.closeCode ?? 1005;
          result.closeReason = frame.closeReason ?? "";
          finish(`close:${result.closeCode}`, true);
          return;
        }
      }
    };

    socket.on("connect", () => {
      connected = true;
      armDeadline();
      if (request) socket.write(request);
      if (!request || !c.awaitResponse) startWriting();
    });
    socket.on("data", (chunk: Uint8Array) => {
      if (finished) return;
      result.bytesReceived += chunk.length;
      if (head === null) {
        onFrames(chunk);
        return;
      }
      const joined: Uint8Array = new Uint8Array(head.length + chunk.length);
      joined.set(head, 0);
      joined.set(chunk, head.length);
      head = joined;
      const parsed = parseResponseHead(head);
      if (parsed === null) {
        if (head.length > 256 * 1024) finish("closed");
        return;
      }
      result.status = parsed.status;
      if (parsed.status !== 101 || c.handshake === null) {
        finish(`http:${parsed.status}`);
        return;
      }
      const rest = head.subarray(parsed.length);
      head = null;
      if (c.chunks.length === 0 && c.after === "wait") {
        finish("http:101", true);
        return;
      }
      startWriting();
      onFrames(rest);
    });
    socket.on("error", (error: Error & { code?: string }) => {
      result.error = error.code ?? error.message;
    });
    socket.on("close", () => {
      if (finished) return;
      if (!connected) finish("connect_error");
      else if (result.error === "ECONNRESET" || result.error === "EPIPE") finish("reset");
      else finish("closed");
    });
  });
}
