import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { idleQueue } from "../../src/idle_deadlines.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function watched(log: string[], name: string, at: Map<string, number>) {
  return { idleExpired: () => void (log.push(name), at.set(name, Date.now())) };
}

describe("idle deadlines: one timer per timeout", () => {
  test("sessions with one timeout share one queue and expire in the order of their last activity, not before their timeout", async () => {
    const log: string[] = [];
    const at = new Map<string, number>();
    const queue = idleQueue(120);
    assert.equal(idleQueue(120), queue);
    const started = Date.now();
    const a = queue.add(watched(log, "a", at));
    queue.add(watched(log, "b", at));
    queue.add(watched(log, "c", at));
    await sleep(60);
    const touchedA = Date.now();
    a.touch(); // activity: a starts over, behind c
    await sleep(300);
    assert.deepEqual(log, ["b", "c", "a"]);
    assert.ok(at.get("b")! - started >= 118, `b after ${at.get("b")! - started} ms`);
    assert.ok(at.get("a")! - touchedA >= 118, `a after ${at.get("a")! - touchedA} ms of quiet`);
    assert.equal(queue.size, 0);
  });

  test("a deleted session never expires, and the last one out drops the queue", async () => {
    const log: string[] = [];
    const at = new Map<string, number>();
    const queue = idleQueue(50);
    const a = queue.add(watched(log, "a", at));
    const b = queue.add(watched(log, "b", at));
    a.remove();
    assert.equal(queue.size, 1);
    b.remove();
    assert.notEqual(idleQueue(50), queue, "an empty queue is forgotten");
    await sleep(120);
    assert.deepEqual(log, []);
  });

  test("different timeouts are different queues", async () => {
    const log: string[] = [];
    const at = new Map<string, number>();
    assert.notEqual(idleQueue(40), idleQueue(80));
    idleQueue(80).add(watched(log, "slow", at));
    idleQueue(40).add(watched(log, "fast", at));
    await sleep(200);
    assert.deepEqual(log, ["fast", "slow"]);
  });
});
