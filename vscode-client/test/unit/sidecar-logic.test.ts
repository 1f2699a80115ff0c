import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Coalescer } from "../../src/core/coalesce";
import { diagnoseCrash, diagnosePreflight } from "../../src/core/failure";
import { logLinesFromJsonl } from "../../src/core/store";
import { LineEditor, renderFrame, visibleRows } from "../../src/core/terminal";

describe("sidecar start-up failures", () => {
  test("missing interpreter, missing package, broken package, success", () => {
    const notFound = diagnosePreflight({ python: "/nope/python", source: "setting", spawnError: "ENOENT" });
    assert.equal(notFound?.state, "failed");
    assert.match(notFound!.message!, /"\/nope\/python" \(set in `taskyard.pythonPath`\) was not found/);
    const missing = diagnosePreflight({ python: "/usr/bin/python3", source: "default", exitCode: 1,
      stderr: "Traceback (most recent call last):\n  File \"<string>\", line 1\nModuleNotFoundError: No module named 'taskyard'\n" });
    assert.match(missing!.message!, /not installed for "\/usr\/bin\/python3"/);
    assert.equal(missing!.fixCommand, "/usr/bin/python3 -m pip install taskyard");
    assert.equal(missing!.detail, "ModuleNotFoundError: No module named 'taskyard'");
    const spaced = diagnosePreflight({ python: "/my python/bin/python", source: "python-extension", exitCode: 1, stderr: "No module named taskyard" });
    assert.equal(spaced!.fixCommand, "'/my python/bin/python' -m pip install taskyard");
    const broken = diagnosePreflight({ python: "python3", source: "default", exitCode: 1, stderr: "SyntaxError: bad\n" });
    assert.match(broken!.message!, /could not load Taskyard/);
    assert.equal(diagnosePreflight({ python: "python3", source: "default", timedOut: true })?.state, "failed");
    assert.equal(diagnosePreflight({ python: "python3", source: "default", exitCode: 0, stdout: "0.1.0\n" }), null);
    assert.match(diagnoseCrash("python3", "exited").fix!, /Running tasks are not affected/);
  });
});

describe("event-driven refresh", () => {
  test("triggers while a refresh runs fold into one more run", async () => {
    let runs = 0;
    let release!: () => void;
    const c = new Coalescer(async () => {
      runs++;
      if (runs === 1) await new Promise<void>((r) => (release = r));
    });
    c.trigger();
    c.trigger();
    c.trigger();
    assert.equal(runs, 1);
    release();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(runs, 2);
    assert.equal(c.busy, false);
  });
});

describe("attached terminal", () => {
  test("line editing: typing, backspace, Enter submits, Esc and Ctrl+C interrupt, arrows ignored", () => {
    const e = new LineEditor();
    assert.deepEqual(e.feed("helo\x7flo"), []);
    assert.equal(e.line, "hello");
    assert.deepEqual(e.feed("\x1b[D\x1b[A"), []);
    assert.deepEqual(e.feed("\r"), [{ kind: "submit", line: "hello" }]);
    assert.equal(e.line, "");
    assert.deepEqual(e.feed("\x1b"), [{ kind: "interrupt" }]);
    assert.deepEqual(e.feed("\x03"), [{ kind: "interrupt" }]);
    assert.deepEqual(e.feed("a\r\nb\r"), [{ kind: "submit", line: "a" }, { kind: "submit", line: "b" }]);
    assert.deepEqual(e.feed("   \r"), [], "blank lines are not sent");
    e.feed("abc\x15");
    assert.equal(e.line, "");
  });

  test("frames draw the screen's last rows that fit, then status and input", () => {
    const screen = { screen: "a\nb\nc\nd\n\n\n", columns: 10, rows: 6 };
    assert.deepEqual(visibleRows(screen.screen, 5), ["c", "d"]);
    assert.deepEqual(visibleRows(screen.screen, undefined), ["a", "b", "c", "d"]);
    const frame = renderFrame(screen, "Idle", "typed", 5);
    assert.ok(frame.startsWith("\x1b[H"));
    assert.ok(!frame.includes("b\x1b[K"));
    assert.match(frame, /d\x1b\[K\r\n/);
    assert.match(frame, /› typed\x1b\[K\x1b\[J$/);
  });
});

describe("log lines from an export", () => {
  test("only log rows, in order; broken rows skipped", () => {
    const content = [
      JSON.stringify({ type: "task", id: "t" }),
      JSON.stringify({ type: "log", time: "2026-03-01T09:00:00.000Z", stream: "startup", text: "bridge up" }),
      "{broken",
      JSON.stringify({ type: "message", id: 0 }),
      JSON.stringify({ type: "log", time: "2026-03-01T09:00:01.000Z", stream: "weird", text: "x" }),
      "",
    ].join("\n");
    assert.deepEqual(logLinesFromJsonl(content), [{ time: "2026-03-01T09:00:00.000Z", stream: "startup", text: "bridge up" }]);
  });
});
