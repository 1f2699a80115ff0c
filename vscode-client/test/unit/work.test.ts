import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { toRpcError } from "../../src/core/errors";
import {
  branchNameProblem,
  defaultBranchName,
  deletedMessage,
  diffSummary,
  diffView,
  exportProblem,
  exportedMessage,
  keptWork,
} from "../../src/core/work";
import type { TasksDeleteResult, TasksDiffResult, TasksExportBranchResult } from "../../src/protocol/generated";
import { example, task } from "./fixtures";

describe("a task's changes", () => {
  const twoFiles = example<TasksDiffResult>("tasks", "diff", "result", "two-files.json");
  const nothing = example<TasksDiffResult>("tasks", "diff", "result", "nothing-changed.json");

  test("a patch opens as is, with a summary of the files", () => {
    const v = diffView(task(), twoFiles);
    assert.equal(v.empty, false);
    if (!v.empty) {
      assert.equal(v.content, twoFiles.patch, "the editor holds exactly the patch (git apply takes it)");
      assert.equal(v.summary, '"Fix it": 2 files changed (1 added, 1 modified), +3 −1');
    }
  });

  test("no changes: a sentence, no editor", () => {
    const v = diffView(task(), nothing);
    assert.deepEqual(v, { empty: true, message: 'No changes yet: "Fix it" has not changed any file in its work folder.' });
    assert.equal(diffSummary(nothing), "No changes yet");
  });

  test("binary files and renames are counted", () => {
    const r: TasksDiffResult = {
      ...nothing,
      patch: "diff --git a/logo.png b/logo.png\nGIT binary patch\n",
      files: [
        { path: "logo.png", change: "added", additions: 0, deletions: 0, binary: true },
        { path: "b.txt", oldPath: "a.txt", change: "renamed", additions: 0, deletions: 0 },
      ],
    };
    assert.equal(diffSummary(r), "2 files changed (1 added, 1 renamed), +0 −0, 1 binary");
  });
});

describe("deleting, keeping the work folder", () => {
  test("plain delete, a kept folder, a kept Docker volume", () => {
    const plain = example<TasksDeleteResult>("tasks", "delete", "result", "delete.json");
    assert.equal(deletedMessage(task(), plain), 'Task "Fix it" deleted.');
    assert.equal(keptWork(plain), undefined);
    const volume = example<TasksDeleteResult>("tasks", "delete", "result", "kept-work.json");
    assert.deepEqual(keptWork(volume), { kind: "volume", name: "taskyard-3f0c2a4e-8d1b-4c6e-9a57-2b1d0e7f4c11-work" });
    assert.equal(deletedMessage(task(), volume),
      'Task "Fix it" deleted. Its work was kept in the Docker volume taskyard-3f0c2a4e-8d1b-4c6e-9a57-2b1d0e7f4c11-work.');
    const folder = { ...plain, keptWork: "/home/ana/.local/share/taskyard/kept/fix-it" };
    assert.deepEqual(keptWork(folder), { kind: "folder", path: folder.keptWork });
    assert.equal(deletedMessage(task(), folder), `Task "Fix it" deleted. Its work folder was kept at ${folder.keptWork}.`);
  });
});

describe("exporting as a branch", () => {
  test("the default name, and git's rules while typing", () => {
    assert.equal(defaultBranchName(task()), "taskyard/fix-it-0001");
    assert.equal(branchNameProblem("taskyard/fix-it-0001"), null);
    assert.equal(branchNameProblem("feature/x.y_z-1"), null);
    const bad = ["", "a b", "a..b", "a~1", "a^", "a:b", "a?", "a*", "a[b", "a\\b", "-a", "/a", "a/", "a//b", "a.", "a/.b", "a.lock", "x/y.lock/z", "@", "a@{b"];
    for (const name of bad) assert.ok(branchNameProblem(name), `rejects ${JSON.stringify(name)}`);
  });

  test("the sidecar's rejections land on the input box; a missing repository offers a patch", () => {
    const exists = toRpcError({ code: 1003, message: "Invalid parameters",
      data: { kind: "invalidParameters", parameterErrors: [{ parameter: "branch", message: "A branch named taskyard/x already exists." }] } });
    assert.deepEqual(exportProblem(exists, task()), { where: "input", message: "A branch named taskyard/x already exists." });
    const schema = toRpcError({ code: -32602, message: "Invalid params: string too short @ $.branch" });
    assert.deepEqual(exportProblem(schema, task()), { where: "input", message: "Git does not accept this branch name" });
    const noRepo = toRpcError({ code: 1013, message: "No repository to export to", data: { kind: "noRepository" } });
    const p = exportProblem(noRepo, task());
    assert.equal(p.where, "message");
    assert.ok(p.where === "message" && p.offerPatch);
    assert.match(p.message, /open a folder that is a git repository, or save the changes as a patch/);
    const other = exportProblem(toRpcError({ code: 1009, message: "Agent request failed", data: { kind: "agentFailure", detail: "bridge gone" } }), task());
    assert.deepEqual(other, { where: "message", offerPatch: false, message: 'Could not export the work of "Fix it": Agent request failed: bridge gone' });
  });

  test("the success message names branch, commit and repository", () => {
    const r = example<TasksExportBranchResult>("tasks", "exportBranch", "result", "exported.json");
    assert.equal(exportedMessage(r),
      "Created branch taskyard/fix-login-redirect (4e1d2c3, 2 files changed) in /home/ana/src/shop. Your working tree was not touched.");
  });
});
