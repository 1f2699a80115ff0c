import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { describeError, toRpcError } from "../../src/core/errors";
import { type Handlers, forwardRpc, parseFromWebview, route } from "../../src/core/router";
import { TaskStore, dispatch } from "../../src/core/store";
import type { NotificationHandlers, Task, TasksDidChangeParams } from "../../src/protocol/generated";
import { notifications } from "../../src/protocol/generated";
import type { FromWebview, NotificationKey, NotificationMessage, ToWebview } from "../../src/protocol/webview";
import { examples, task } from "./fixtures";

describe("webview → extension messages", () => {
  test("well-formed messages pass, with their types", () => {
    const ok: unknown[] = [
      { type: "ready" },
      { type: "rpc", id: 1, key: "tasksCreate", params: { template: "demo", prompt: "x" } },
      { type: "send", id: 2, taskId: "t1", content: "hi" },
      { type: "action", action: "delete", taskId: "t1" },
      { type: "action", action: "showChanges", taskId: "t1" },
      { type: "action", action: "exportBranch", taskId: "t1" },
      { type: "command", command: "restartSidecar" },
      { type: "select", taskId: null },
      { type: "watchScreen", taskId: "t1", on: true },
    ];
    for (const m of ok) assert.deepEqual(parseFromWebview(m), m);
  });

  test("anything else is dropped", () => {
    const bad: unknown[] = [
      null, "ready", {}, { type: "nope" },
      { type: "rpc", id: 1, key: "tasksDelete", params: { task: "t1" } }, // delete needs the modal: an action
      { type: "rpc", id: "1", key: "tasksCreate", params: {} },
      { type: "rpc", id: 1, key: "tasksCreate", params: null },
      { type: "send", id: 1, taskId: "t1" },
      { type: "action", action: "format-disk", taskId: "t1" },
      { type: "action", action: "toString", taskId: "t1" },
      { type: "command", command: "workbench.action.quit" },
      { type: "select", taskId: 3 },
      { type: "watchScreen", taskId: "t1", on: "yes" },
    ];
    for (const m of bad) assert.equal(parseFromWebview(m), null, JSON.stringify(m));
  });

  test("route calls exactly the handler of the message's type", async () => {
    const seen: string[] = [];
    const handlers: Handlers<FromWebview> = {
      ready: () => seen.push("ready"),
      rpc: (m) => seen.push(`rpc:${m.key}`),
      send: (m) => seen.push(`send:${m.content}`),
      action: (m) => seen.push(`action:${m.action}`),
      command: (m) => seen.push(`command:${m.command}`),
      select: (m) => seen.push(`select:${m.taskId}`),
      watchScreen: (m) => seen.push(`screen:${m.on}`),
    };
    route(handlers, { type: "send", id: 1, taskId: "t", content: "hello" });
    route(handlers, { type: "rpc", id: 2, key: "tasksPause", params: { task: "t" } });
    route(handlers, { type: "select", taskId: "t" });
    assert.deepEqual(seen, ["send:hello", "rpc:tasksPause", "select:t"]);
  });

  test("forwarded calls answer with the result or the flattened JSON-RPC error", async () => {
    const ok = await forwardRpc(async (key, params) => ({ key, params }), { type: "rpc", id: 7, key: "tasksPause", params: { task: "t" } });
    assert.deepEqual(ok, { type: "rpcResult", id: 7, ok: true, result: { key: "tasksPause", params: { task: "t" } } });
    const rejected = {
      code: 1003, message: "Invalid parameters",
      data: { kind: "invalidParameters", parameterErrors: [{ parameter: "max_files", message: "Pick between 1 and 20 files, not 50." }] },
    };
    const bad = await forwardRpc(async () => { throw rejected; }, { type: "rpc", id: 8, key: "tasksCreate", params: { template: "demo", prompt: "x" } });
    assert.deepEqual(bad, {
      type: "rpcResult", id: 8, ok: false,
      error: { message: "Invalid parameters", code: 1003, kind: "invalidParameters", parameterErrors: rejected.data.parameterErrors },
    });
  });
});

describe("extension → webview messages", () => {
  test("every ToWebview type has a handler (compile-time) and routes", () => {
    const seen: string[] = [];
    const h: Handlers<ToWebview> = {
      init: () => seen.push("init"), sidecar: () => seen.push("sidecar"), serverInfo: () => seen.push("serverInfo"),
      notification: (m) => seen.push(m.note.key),
      tasks: () => seen.push("tasks"), messages: () => seen.push("messages"), logs: () => seen.push("logs"),
      screen: () => seen.push("screen"), reveal: () => seen.push("reveal"), pending: () => seen.push("pending"),
      rpcResult: () => seen.push("rpcResult"),
    };
    route(h, { type: "notification", note: { key: "tasksDidDelete", params: { id: "t", name: "n" } } });
    route(h, { type: "rpcResult", id: 1, ok: true, result: null });
    assert.deepEqual(seen, ["tasksDidDelete", "rpcResult"]);
  });

  test("notification keys cover the generated table", () => {
    const keys = Object.keys(notifications) as NotificationKey[];
    const handled: string[] = [];
    const handlers = Object.fromEntries(keys.map((k) => [k, () => handled.push(k)])) as unknown as NotificationHandlers;
    for (const key of keys) dispatch(handlers, { key, params: {} } as NotificationMessage);
    assert.deepEqual(handled, keys);
  });
});

describe("the store follows the sidecar's notifications", () => {
  test("the contract's didChange examples become tasks; an older snapshot never undoes a newer one", () => {
    const store = new TaskStore();
    const payloads = examples<TasksDidChangeParams>("tasks", "didChange", "valid");
    assert.ok(payloads.length > 0);
    for (const p of payloads) store.apply({ key: "tasksDidChange", params: p });
    assert.ok(store.tasks.size > 0);
    const newer = task({ updatedAt: "2026-03-01T10:00:00.000Z", displayName: "new" });
    store.upsert(newer);
    store.upsert(task({ updatedAt: "2026-03-01T09:00:00.000Z", displayName: "old" }));
    assert.equal(store.get("t1")?.displayName, "new");
  });

  test("didDelete drops the task with its conversation and logs", () => {
    const store = new TaskStore();
    const events: string[] = [];
    store.onChange((e) => events.push(e.kind));
    store.upsert(task());
    store.apply({ key: "tasksLogDidAppend", params: { taskId: "t1", lines: [{ time: "2026-03-01T09:00:00.000Z", stream: "startup", text: "up" }] } });
    store.apply({ key: "tasksMessageDidChange", params: { taskId: "t1", message: { id: 1, role: "user", content: "hi", time: "2026-03-01T09:00:01.000Z" } } });
    store.apply({ key: "tasksDidDelete", params: { id: "t1", name: "fix-it-0001" } });
    assert.equal(store.get("t1"), undefined);
    assert.equal(store.conversations.has("t1"), false);
    assert.equal(store.logs.has("t1"), false);
    assert.deepEqual(events, ["task", "logs", "message", "deleted"]);
  });

  test("a growing agent message replaces itself; a loaded conversation keeps newer streamed ones", () => {
    const store = new TaskStore();
    const msg = (id: number, content: string, time: string) => ({ id, role: "agent" as const, content, time });
    store.putMessage("t1", msg(2, "Work", "2026-03-01T09:00:02.000Z"));
    store.putMessage("t1", msg(2, "Working on it", "2026-03-01T09:00:03.000Z"));
    store.setConversation("t1", { messages: [msg(1, "hi", "2026-03-01T09:00:01.000Z"), msg(2, "Work", "2026-03-01T09:00:02.000Z")], snapshot: false });
    assert.deepEqual(store.conversations.get("t1")?.messages.map((m) => m.content), ["hi", "Working on it"]);
    store.setConversation("t1", { messages: [msg(1, "hi", "2026-03-01T09:00:01.000Z")], snapshot: true, snapshotAt: "2026-03-01T09:05:00.000Z" });
    assert.equal(store.conversations.get("t1")?.snapshot, true);
    assert.equal(store.conversations.get("t1")?.messages.length, 1, "a pause snapshot replaces the live copy");
  });

  test("templatesDidChange replaces the catalog; reset keeps only known tasks' extras", () => {
    const store = new TaskStore();
    store.apply({ key: "templatesDidChange", params: { templates: [], diagnostics: [] } });
    assert.deepEqual(store.catalog, { templates: [], diagnostics: [] });
    store.appendLogs("gone", [{ time: "t", stream: "system", text: "x" }]);
    store.reset([task()], null);
    assert.equal(store.logs.has("gone"), false);
    assert.equal(store.list().length, 1);
    assert.equal(store.find("fix-it-0001")?.id, "t1");
  });
});

describe("errors", () => {
  test("flattening and wording", () => {
    assert.deepEqual(toRpcError(new Error("boom")), { message: "boom" });
    assert.deepEqual(toRpcError("plain"), { message: "plain" });
    const notReady = toRpcError({ code: 1004, message: "Task is not ready", data: { kind: "taskNotReady" } });
    assert.equal(notReady.kind, "taskNotReady");
    assert.match(describeError(notReady, "send to \"X\""), /^Could not send to "X": the task's agent is not running yet/);
    assert.equal(describeError({ message: "m", kind: "invalidParameters", parameterErrors: [{ parameter: "a", message: "bad" }] }), "a: bad");
    assert.equal(toRpcError({ message: "x", data: { kind: "madeUp" } }).kind, undefined);
    assert.match(describeError({ message: "required field missing @ $.task", code: -32602 }), /rejected/);
  });

  test("the generated task fixture type-checks as a Task", () => {
    const t: Task = task();
    assert.equal(t.actions.delete, true);
  });
});
