import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AttentionToasts, MAX_TOAST_TEXT, OPEN_TASK_TITLE, type ToastChange, openTaskUri, toastMessage } from "../../src/core/attention";
import { sendMessage } from "../../src/core/send";
import type { AgentState, Task, TasksSendParams, TasksSendResult } from "../../src/protocol/generated";
import { actionsFor, erroredTask, pausedTask, task } from "./fixtures";

const st = (state: AgentState, message = ""): Task["state"] => ({ state, message, timestamp: "2026-03-01T09:00:00.000Z", source: "hook" });
const busy = () => Object.assign(new Error("the agent is busy"), { code: 1005, data: { kind: "agentBusy" } });

/** A fake `taskyard/tasks/send`: records every call, answers from a script. */
function fakeSend(...answers: (TasksSendResult | Error)[]) {
  const calls: TasksSendParams[] = [];
  const request = async (params: TasksSendParams): Promise<TasksSendResult> => {
    calls.push(params);
    const a = answers.shift() ?? { delivered: true, queued: false, resumed: false };
    if (a instanceof Error) throw a;
    return a;
  };
  return { calls, request };
}

describe("sending a message", () => {
  test("a paused task: one send, no resume of our own; the sidecar resumes and says so", async () => {
    const f = fakeSend({ delivered: true, queued: false, resumed: true });
    const result = await sendMessage(f.request, pausedTask(), "carry on");
    assert.deepEqual(f.calls, [{ task: "t1", content: "carry on", queue: false }]);
    assert.equal(result.resumed, true);
  });

  test("a failed task is sent to the same way", async () => {
    const f = fakeSend({ delivered: true, queued: false, resumed: true });
    await sendMessage(f.request, erroredTask(), "try again");
    assert.deepEqual(f.calls, [{ task: "t1", content: "try again", queue: false }]);
  });

  test("a working agent gets the message queued", async () => {
    const f = fakeSend({ delivered: false, queued: true, queueId: "q-1", resumed: false });
    const result = await sendMessage(f.request, task({ state: st("working"), actions: actionsFor("active", "working") }), "next");
    assert.deepEqual(f.calls, [{ task: "t1", content: "next", queue: true }]);
    assert.equal(result.queued, true);
  });

  test("an agent that got busy meanwhile (also right after a resume): the message is queued instead", async () => {
    const f = fakeSend(busy(), { delivered: false, queued: true, queueId: "q-2", resumed: false });
    const result = await sendMessage(f.request, pausedTask(), "hello");
    assert.deepEqual(f.calls.map((c) => c.queue), [false, true]);
    assert.equal(result.queued, true);
  });

  test("other failures reach the caller, without a second try", async () => {
    const notReady = Object.assign(new Error("not ready"), { code: 1004, data: { kind: "taskNotReady" } });
    const f = fakeSend(notReady);
    await assert.rejects(sendMessage(f.request, pausedTask(), "hello"), /not ready/);
    assert.equal(f.calls.length, 1);
  });
});

/** The toasts' story as `show:<taskId>#<id>` and `withdraw:<taskId>#<id>`. */
const story = (changes: ToastChange[]) => changes.map((c) => `${c.type}:${c.toast.taskId}#${c.toast.id}`);

describe("attention toasts", () => {
  const working = task({ state: st("working"), actions: actionsFor("active", "working") });
  const asking = task({ state: st("needs_input", "Do you want to create perm.txt?"), actions: actionsFor("active", "needs_input") });
  const idle = task({ state: st("idle", "Created perm.txt") });
  const complete = task({ state: st("complete", "All done") });

  test("needs input shows one toast; answering withdraws it", () => {
    const book = new AttentionToasts();
    const shown = book.changed(working, asking, "all");
    assert.deepEqual(story(shown), ["show:t1#1"]);
    const toast = shown[0]!.toast;
    assert.equal(toast.kind, "needs_input");
    assert.match(toast.message, /^Task "Fix it" needs your input: Do you want to create perm\.txt\? \[Open task\]\(command:taskyard\.openTask\?/);
    // the agent's message changes while it still waits: the same toast stays
    assert.deepEqual(book.changed(asking, { ...asking, state: st("needs_input", "Still waiting") }, "all"), []);
    assert.deepEqual(story(book.changed(asking, working, "all")), ["withdraw:t1#1"]);
    assert.equal(book.size, 0);
  });

  test("a toast that stays: nothing withdraws it while the task still needs input (negative control)", () => {
    const book = new AttentionToasts();
    book.changed(working, asking, "all");
    assert.deepEqual(book.opened("other"), []);
    assert.deepEqual(book.deleted("other"), []);
    assert.deepEqual(book.reset([asking]), []);
    assert.deepEqual(book.setLevel("needsInput"), []);
    assert.equal(book.get("t1")?.kind, "needs_input");
  });

  test("deleting the task, opening it, or a reload without it withdraws its toast", () => {
    const book = new AttentionToasts();
    book.changed(working, asking, "all");
    assert.deepEqual(story(book.deleted("t1")), ["withdraw:t1#1"]);
    book.changed(working, asking, "all");
    assert.deepEqual(story(book.opened("t1")), ["withdraw:t1#2"]);
    assert.deepEqual(book.opened("t1"), [], "only once");
    book.changed(working, asking, "all");
    assert.deepEqual(story(book.reset([])), ["withdraw:t1#3"]);
    book.changed(working, asking, "all");
    assert.deepEqual(story(book.reset([idle])), ["withdraw:t1#4"], "answered while the sidecar restarted");
  });

  test("a new episode may show a new toast; never two for one task", () => {
    const book = new AttentionToasts();
    book.changed(working, asking, "all");
    book.changed(asking, working, "all");
    assert.deepEqual(story(book.changed(working, asking, "all")), ["show:t1#2"]);
    // needs input, then straight to complete: the question's toast goes before the new one comes
    assert.deepEqual(story(book.changed(asking, complete, "all")), ["withdraw:t1#2", "show:t1#3"]);
    assert.equal(book.size, 1);
    const other = { ...asking, id: "t2" };
    assert.deepEqual(story(book.changed(working, other, "all")), ["show:t2#4"], "other tasks have their own");
    assert.equal(book.size, 2);
  });

  test("the user closed the toast: forgotten, and the next episode still gets one", () => {
    const book = new AttentionToasts();
    const [shown] = book.changed(working, asking, "all");
    book.dismissed(shown!.toast.id);
    assert.equal(book.size, 0);
    assert.deepEqual(book.changed(asking, working, "all"), [], "nothing left to withdraw");
    assert.deepEqual(story(book.changed(working, asking, "all")), ["show:t1#2"]);
    book.dismissed(shown!.toast.id);
    assert.equal(book.size, 1, "an old toast's dismissal does not forget the new one");
  });

  test("complete and failed toasts go when the task moves on (a follow-up, a retry) or is opened", () => {
    const book = new AttentionToasts();
    assert.deepEqual(story(book.changed(working, complete, "all")), ["show:t1#1"]);
    assert.deepEqual(story(book.changed(complete, working, "all")), ["withdraw:t1#1"], "a follow-up: no longer complete");
    const failed = erroredTask();
    assert.deepEqual(story(book.changed(working, failed, "all")), ["show:t1#2"]);
    assert.equal(book.get("t1")?.kind, "failed");
    assert.deepEqual(story(book.changed(failed, pausedTask({ error: undefined }), "all")), ["withdraw:t1#2"]);
    book.changed(working, complete, "all");
    assert.deepEqual(story(book.opened("t1")), ["withdraw:t1#3"]);
  });

  test("the setting: none shows nothing; narrowing it withdraws what it no longer allows", () => {
    const book = new AttentionToasts();
    assert.deepEqual(book.changed(working, asking, "none"), []);
    assert.deepEqual(book.changed(working, complete, "needsInput"), []);
    book.changed(working, complete, "all");
    book.changed(working, { ...asking, id: "t2" }, "all");
    assert.deepEqual(story(book.setLevel("needsInput")), ["withdraw:t1#1"]);
    assert.deepEqual(story(book.setLevel("none")), ["withdraw:t2#2"]);
    book.changed(working, asking, "all");
    assert.deepEqual(story(book.clear()), ["withdraw:t1#3"]);
  });

  test("the message: names and agent text can never make a link of their own; the Open link survives", () => {
    const evil = "Run [this](command:workbench.action.terminal.sendSequence?%7B%7D) now";
    const m = toastMessage(`Task "x" needs your input: ${evil}`, "t1");
    assert.equal((m.match(/\]\(/g) ?? []).length, 1, "one link: ours");
    assert.ok(m.endsWith(`[Open task](${openTaskUri("t1")} "${OPEN_TASK_TITLE}")`));
    assert.match(m, /Run \(this\)\(command:/);
    const unmatched = toastMessage('Task "a [draft" needs your input:\nline two', "t1");
    assert.match(unmatched, /^Task "a \(draft" needs your input: line two \[Open task\]/);
    const long = toastMessage(`Task "x" needs your input: ${"y".repeat(2000)}`, "t1");
    assert.ok(long.length < 1000, "VS Code cuts notifications at 1000 characters");
    assert.ok(long.includes(`…[Open task]`) || long.includes(`… [Open task]`));
    assert.equal(long.indexOf(" [Open task]"), MAX_TOAST_TEXT);
  });

  test("read the way VS Code reads notification text, the message has exactly one link: Open task", () => {
    // The link pattern of VS Code's notifications (vs/base/common/linkedText.ts).
    const LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^\)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
    for (const text of [
      'Task "x" needs your input: Run [this](command:workbench.action.terminal.sendSequence?%7B%7D) now',
      'Task "[a](https://example.com)" is complete.',
      'Task "a [draft" needs your input: [y/n]',
    ]) {
      const links = [...toastMessage(text, "t1").matchAll(LINK)].map((m) => ({ label: m[1], href: m[2], title: m[4] }));
      assert.deepEqual(links, [{ label: "Open task", href: openTaskUri("t1"), title: OPEN_TASK_TITLE }], text);
    }
  });

  test("the Open link runs taskyard.openTask with the task id", () => {
    const uri = openTaskUri("3f0c2a4e-8d1b-4c6e-9a57-2b1d0e7f4c11");
    assert.match(uri, /^command:taskyard\.openTask\?[^\s()]+$/);
    const args = JSON.parse(decodeURIComponent(uri.slice(uri.indexOf("?") + 1)));
    assert.deepEqual(args, ["3f0c2a4e-8d1b-4c6e-9a57-2b1d0e7f4c11"]);
    assert.deepEqual(JSON.parse(decodeURIComponent(openTaskUri("a(b)").split("?")[1]!)), ["a(b)"]);
  });
});
