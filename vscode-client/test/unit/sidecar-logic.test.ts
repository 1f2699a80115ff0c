import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Coalescer } from "../../src/core/coalesce";
import { diagnoseCrash, diagnosePreflight } from "../../src/core/failure";
import { logLinesFromJsonl } from "../../src/core/store";
import { KeyQueue, MAX_KEYS, renderFrame, takeKeys, visibleRows } from "../../src/core/terminal";

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
  test("keys pass through raw: Enter, Escape, Ctrl+C and arrows reach the agent as typed", async () => {
    const sent: string[] = [];
    const q = new KeyQueue(async (d) => void sent.push(d), () => assert.fail("no error"));
    for (const k of ["h", "i", "\r", "\x1b", "\x03", "\x1b[A", "\x7f"]) {
      q.push(k);
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(sent, ["h", "i", "\r", "\x1b", "\x03", "\x1b[A", "\x7f"]);
    q.push("");
    assert.equal(q.busy, false, "nothing empty is sent (the contract needs at least one character)");
  });

  test("keys typed while a request is in flight go together, in order, in the next one", async () => {
    const sent: string[] = [];
    let release!: () => void;
    let sentCount = 0;
    const q = new KeyQueue(async (d) => {
      sent.push(d);
      if (sent.length === 1) await new Promise<void>((r) => (release = r));
    }, () => assert.fail("no error"), () => sentCount++);
    q.push("a");
    q.push("b");
    q.push("c\r");
    assert.deepEqual(sent, ["a"]);
    release();
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(sent, ["a", "bc\r"]);
    assert.equal(sentCount, 2, "each sent batch asks for a redraw");
    assert.equal(q.busy, false);
  });

  test("a failed request drops what was waiting and reports it; later keys still go", async () => {
    const sent: string[] = [];
    const errors: string[] = [];
    let fail = true;
    let release!: () => void;
    const q = new KeyQueue(async (d) => {
      sent.push(d);
      if (fail) {
        await new Promise<void>((r) => (release = r));
        throw Object.assign(new Error("Task is not ready"), { code: 1004, data: { kind: "taskNotReady" } });
      }
    }, (e, dropped) => errors.push(`${(e as Error).message}: ${JSON.stringify(dropped)}`));
    q.push("x");
    q.push("yz");
    release();
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(errors, ['Task is not ready: "xyz"']);
    fail = false;
    q.push("ok");
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(sent, ["x", "ok"]);
  });

  test("a long paste is split below the contract's limit, never inside an escape sequence or a surrogate pair", () => {
    assert.deepEqual(takeKeys("abc", 10), ["abc", ""]);
    const [a, rest] = takeKeys("12345\x1b[200~xyz", 7);
    assert.deepEqual([a, rest], ["12345", "\x1b[200~xyz"]);
    const [b] = takeKeys("abcd😀e", 5);
    assert.equal(b, "abcd", "the emoji's two halves stay together");
    const paste = "x".repeat(MAX_KEYS * 2 + 10);
    const chunks: string[] = [];
    for (let rest2 = paste; rest2;) {
      const [c, r] = takeKeys(rest2);
      chunks.push(c);
      rest2 = r;
    }
    assert.deepEqual(chunks.map((c) => c.length), [MAX_KEYS, MAX_KEYS, 10]);
    assert.ok(MAX_KEYS <= 65536, "within TasksKeysParams.data's maxLength");
  });

  test("frames draw the screen's last rows that fit, then the status line; the cursor is hidden", () => {
    const screen = { screen: "a\nb\nc\nd\n\n\n", columns: 10, rows: 6 };
    assert.deepEqual(visibleRows(screen.screen, 4), ["c", "d"]);
    assert.deepEqual(visibleRows(screen.screen, undefined), ["a", "b", "c", "d"]);
    const frame = renderFrame(screen, "Idle", 4);
    assert.ok(frame.startsWith("\x1b[?25l\x1b[H"));
    assert.ok(!frame.includes("b\x1b[K"));
    assert.match(frame, /d\x1b\[K\r\n/);
    assert.match(frame, /Idle\x1b\[0m\x1b\[K\x1b\[J$/);
    const narrow = renderFrame(screen, "A long status line that does not fit", 4, 12);
    assert.match(narrow, /\x1b\[2mA long sta…\x1b\[0m/, "the status line never wraps");
    assert.match(narrow, /\x1b\[2m─{10}\x1b\[0m/, "nor does the rule");
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
