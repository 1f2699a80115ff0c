import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  KINDS,
  attentionFor,
  clockTime,
  composerModel,
  counts,
  displayKind,
  errorHint,
  inputModel,
  relativeTime,
  sendNote,
  sendPrompt,
  sortTasks,
  statusBarText,
  subtitle,
} from "../../src/core/presentation";
import type { AgentState, Task, TaskStatus } from "../../src/protocol/generated";
import { actionsFor, erroredTask, example, pausedTask, task } from "./fixtures";

const st = (state: AgentState, message = ""): Task["state"] => ({ state, message, timestamp: "2026-03-01T09:00:00.000Z", source: "hook" });

describe("state → presentation", () => {
  const table: [TaskStatus, AgentState | undefined, string][] = [
    ["pending", undefined, "starting"],
    ["initializing", "working", "starting"],
    ["active", undefined, "starting"],
    ["active", "working", "working"],
    ["active", "needs_input", "needs_input"],
    ["active", "idle", "idle"],
    ["active", "complete", "complete"],
    ["active", "failed", "failed"],
    ["paused", "idle", "paused"],
    ["error", "working", "error"],
    ["unknown", undefined, "unknown"],
  ];
  for (const [status, state, kind] of table) {
    test(`${status}/${state ?? "-"} shows as ${kind}`, () => {
      assert.equal(displayKind({ status, state: state ? st(state) : undefined }), kind);
    });
  }

  test("each kind has its own label and icon", () => {
    const labels = Object.values(KINDS).map((k) => k.label);
    assert.equal(new Set(labels).size, labels.length);
  });

  test("subtitle: the agent's message, the error's reason, or a word about the status", () => {
    assert.equal(subtitle(task({ state: st("working", "Running tests") })), "Running tests");
    assert.equal(subtitle(task({ status: "error", error: { kind: "workspaceFailure", message: "docker gone" } })), "docker gone");
    assert.equal(subtitle(task({ status: "pending", state: undefined })), "Preparing the workspace…");
    assert.equal(subtitle(task({ state: st("needs_input") })), "Waiting for your answer");
  });

  test("relative and clock times", () => {
    const now = Date.parse("2026-03-01T10:00:00.000Z");
    assert.equal(relativeTime("2026-03-01T09:59:55.000Z", now), "just now");
    assert.equal(relativeTime("2026-03-01T09:59:30.000Z", now), "30s ago");
    assert.equal(relativeTime("2026-03-01T09:55:00.000Z", now), "5m ago");
    assert.equal(relativeTime("2026-03-01T07:00:00.000Z", now), "3h ago");
    assert.equal(relativeTime("2026-02-27T10:00:00.000Z", now), "2d ago");
    assert.equal(relativeTime("2026-01-01T10:00:00.000Z", now), "2026-01-01");
    assert.equal(relativeTime("garbage", now), "");
    assert.match(clockTime("2026-03-01T09:05:00.000Z", now), /^\d\d:\d\d$/);
  });

  test("input: Queue while working, Resume and send when paused or failed, held while starting", () => {
    assert.deepEqual(
      [inputModel(task({ state: st("working") })).sendLabel, inputModel(task({ state: st("working") })).queue],
      ["Queue", true],
    );
    const paused = inputModel(pausedTask());
    assert.deepEqual([paused.sendLabel, paused.resumeFirst, paused.enabled], ["Resume and send", true, true]);
    assert.match(paused.placeholder, /Sending resumes the task first/);
    const failed = inputModel(erroredTask());
    assert.deepEqual([failed.sendLabel, failed.resumeFirst, failed.enabled], ["Resume and send", true, true]);
    assert.match(failed.placeholder, /Sending resumes it first/);
    const starting = inputModel(task({ status: "initializing", actions: actionsFor("initializing") }));
    assert.deepEqual([starting.enabled, starting.sendLabel], [true, "Send"]);
    assert.match(starting.placeholder, /goes once it is ready/);
    const refused = { ...actionsFor("initializing"), send: false };
    assert.equal(inputModel(task({ status: "initializing", actions: refused })).enabled, false);
    assert.equal(inputModel(task()).sendLabel, "Send");
    assert.equal(inputModel(task()).resumeFirst, false);
  });

  test("the Resume and send button of a paused task is enabled once there is a draft", () => {
    // The contract's own paused task (the result of taskyard/tasks/pause): the sidecar offers send.
    const paused = example<Task>("tasks", "pause", "result", "pause.json");
    assert.equal(paused.status, "paused");
    for (const t of [paused, pausedTask(), erroredTask()]) {
      const c = composerModel(t, { sending: false, draft: "carry on" });
      assert.equal(c.sendLabel, "Resume and send");
      assert.equal(c.sendDisabled, false, `${t.status}: the button must be clickable`);
      assert.equal(c.boxDisabled, false);
    }
    assert.equal(composerModel(paused, { sending: false, draft: "  " }).sendDisabled, true, "nothing to send");
    assert.equal(composerModel(paused, { sending: true, draft: "x" }).sendDisabled, true, "a send in flight");
    assert.equal(composerModel(pausedTask({ actions: { ...actionsFor("paused"), send: false } }), { sending: false, draft: "x" }).sendDisabled, true,
      "the sidecar's word decides: no send action, no button");
  });

  test("the palette's prompt and the panel's notes say a paused or failed task is resumed first", () => {
    assert.match(sendPrompt(pausedTask()) ?? "", /paused: it is resumed first/);
    assert.match(sendPrompt(erroredTask()) ?? "", /resumed first/);
    assert.match(sendPrompt(task({ state: st("working") })) ?? "", /queued/);
    assert.equal(sendPrompt(task()), undefined);
    assert.match(sendNote("sending", pausedTask()), /^Resuming the task/);
    assert.equal(sendNote("sending", task()), "");
    assert.equal(sendNote("sent", pausedTask(), { queued: false, resumed: true }), "");
    assert.match(sendNote("sent", pausedTask(), { queued: true, resumed: true }), /^Resumed\. Queued/);
    assert.match(sendNote("sent", task(), { queued: true, resumed: false }), /^Queued/);
  });

  test("needs-input tasks sort first, then newest first", () => {
    const a = task({ id: "a", createdAt: "2026-03-01T09:00:00.000Z" });
    const b = task({ id: "b", createdAt: "2026-03-01T10:00:00.000Z" });
    const c = task({ id: "c", createdAt: "2026-03-01T08:00:00.000Z", state: st("needs_input") });
    assert.deepEqual(sortTasks([a, b, c]).map((t) => t.id), ["c", "b", "a"]);
  });

  test("status bar counts and text", () => {
    const c = counts([task({ state: st("working") }), task({ state: st("needs_input") }), task({ status: "pending", state: undefined }), task({ status: "error" })]);
    assert.deepEqual(c, { total: 4, working: 1, needsInput: 1, starting: 1, failed: 1 });
    const s = statusBarText(c, "running");
    assert.equal(s.text, "$(checklist) $(sync~spin) 2 $(bell-dot) 1");
    assert.equal(s.warning, true);
    assert.equal(statusBarText(counts([]), "running").text, "$(checklist) Taskyard");
    assert.equal(statusBarText(c, "failed").text, "$(error) Taskyard");
  });

  test("notifications: only on transitions into needs input, complete or failed, per setting", () => {
    const working = task({ state: st("working") });
    const asking = task({ state: st("needs_input", "Delete x?") });
    assert.equal(attentionFor(working, asking, "all")?.text, 'Task "Fix it" needs your input: Delete x?');
    assert.equal(attentionFor(asking, asking, "all"), null, "no repeat");
    assert.equal(attentionFor(undefined, asking, "all"), null, "not on first sight");
    assert.equal(attentionFor(working, task({ state: st("complete") }), "all")?.kind, "complete");
    assert.equal(attentionFor(working, task({ state: st("complete") }), "needsInput"), null);
    assert.equal(attentionFor(working, asking, "none"), null);
    const err = attentionFor(working, task({ status: "error", error: { kind: "agentFailure", message: "bridge died" } }), "all");
    assert.deepEqual([err?.kind, err?.severity, err?.text], ["failed", "error", 'Task "Fix it" failed: bridge died']);
    assert.equal(attentionFor(working, task({ state: st("idle") }), "all"), null);
  });
});

describe("error hints", () => {
  test("Docker not reachable and a missing secret get a cause and a fix", () => {
    const docker = task({ status: "error", error: { kind: "workspaceFailure",
      message: "the Docker engine does not answer at unix:///var/run/docker.sock (creating the workspace); start it" } });
    assert.equal(errorHint(docker)?.title, "Docker is not reachable");
    assert.equal(errorHint(task({ status: "error", error: { kind: "secretMissing", message: "anthropic-api-key is not set" } }))?.title, "A secret is missing");
    assert.equal(errorHint(task({ status: "error", error: { kind: "agentFailure", message: "bridge died" } })), null);
    assert.equal(errorHint(task()), null);
  });
});
