import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ExtensionLike, type PythonExtensionApi, chooseInterpreter } from "../../src/core/interpreter";
import { counts, statusBarText } from "../../src/core/presentation";
import { newTaskProvider, providerNotice, serverInfoLines } from "../../src/core/serverInfo";
import { configurationChange, folderSetting, providerSetting, sameSidecarSettings, toSidecarSettings } from "../../src/core/settings";
import type { ServerInfo, SidecarSettings } from "../../src/protocol/generated";
import { example } from "./fixtures";

const places = { workspaceFolder: "/src/shop", home: "/home/ana" };

describe("settings → SidecarSettings", () => {
  const cases: { id: string; folders: unknown; provider: unknown; want: SidecarSettings }[] = [
    { id: "defaults", folders: [], provider: "auto", want: { templateFolders: [], defaultProvider: "auto" } },
    {
      id: "variables expanded, blanks and repeats dropped",
      folders: ["${workspaceFolder}/tpl", "~/tpl", "${userHome}/tpl", "  ", "rel/dir", "~"],
      provider: "docker",
      want: { templateFolders: ["/src/shop/tpl", "/home/ana/tpl", "rel/dir", "/home/ana"], defaultProvider: "docker" },
    },
    { id: "hand-edited junk", folders: "not-a-list", provider: "podman", want: { templateFolders: [], defaultProvider: "auto" } },
    { id: "non-strings skipped", folders: [1, null, "a"], provider: "local", want: { templateFolders: ["a"], defaultProvider: "local" } },
  ];
  for (const c of cases) {
    test(c.id, () => {
      const s = toSidecarSettings({ templateFolders: folderSetting(c.folders, places), defaultProvider: providerSetting(c.provider) });
      assert.deepEqual(s, c.want);
      // Exactly the contract's camelCase keys, nothing of the extension's own settings.
      assert.deepEqual(Object.keys(s).sort(), ["defaultProvider", "templateFolders"]);
    });
  }

  test("the contract's own examples are what the mapping produces", () => {
    const info = example<ServerInfo>("server", "info", "result", "docker.json");
    const s = toSidecarSettings({ templateFolders: folderSetting([".taskyard/templates"], places), defaultProvider: providerSetting("auto") });
    assert.ok(sameSidecarSettings(info.settings, s));
  });

  test("a change travels as workspace/didChangeConfiguration's settings.taskyard", () => {
    assert.deepEqual(configurationChange({ templateFolders: ["/t"], defaultProvider: "local" }),
      { settings: { taskyard: { templateFolders: ["/t"], defaultProvider: "local" } } });
  });

  test("equal settings are not sent twice; a change or an unknown start is", () => {
    const a: SidecarSettings = { templateFolders: ["/x"], defaultProvider: "auto" };
    assert.equal(sameSidecarSettings(undefined, a), false);
    assert.equal(sameSidecarSettings({ templateFolders: ["/x"] }, a), true, "an absent provider is auto");
    assert.equal(sameSidecarSettings({ ...a, defaultProvider: "local" }, a), false);
    assert.equal(sameSidecarSettings({ ...a, templateFolders: [] }, a), false);
  });
});

describe("server info → what the panel and the status bar say", () => {
  const docker = example<ServerInfo>("server", "info", "result", "docker.json");
  const noDocker = example<ServerInfo>("server", "info", "result", "no-docker.json");

  test("Docker unreachable: a warning with the sidecar's fix, new tasks run locally", () => {
    const n = providerNotice(noDocker);
    assert.equal(n?.severity, "warning");
    assert.equal(n?.title, "Docker is unavailable — tasks run as local processes");
    assert.match(n!.detail, /start it \(sudo systemctl start docker\)/);
    assert.deepEqual(newTaskProvider(noDocker, "auto"), { provider: "local", text: "Runs as a local process" });
  });

  test("Docker reachable: no notice, auto templates run in Docker", () => {
    assert.equal(providerNotice(docker), null);
    assert.deepEqual(newTaskProvider(docker, "auto"), { provider: "docker", text: "Runs in a Docker container" });
    assert.deepEqual(newTaskProvider(docker, "local"), { provider: "local", text: "Runs as a local process" });
    assert.equal(providerNotice(null), null);
    assert.equal(newTaskProvider(null, "auto"), null);
  });

  test("the user chose local: Docker's absence is not news; chose Docker: new tasks fail, said louder", () => {
    assert.equal(providerNotice({ ...noDocker, settings: { defaultProvider: "local" } }), null);
    const forced = { ...noDocker, defaultProvider: "docker" as const, settings: { defaultProvider: "docker" as const } };
    assert.equal(providerNotice(forced)?.severity, "error");
    assert.match(providerNotice(forced)!.title, /new tasks fail until it is/);
    const where = newTaskProvider(noDocker, "docker");
    assert.equal(where?.provider, "docker");
    assert.match(where!.problem!, /^Docker is not available: no Docker engine answers/);
  });

  test("status-bar tooltip: counts, then where new tasks run, then the sidecar", () => {
    const tip = statusBarText(counts([]), "running", noDocker).tooltip.split("\n");
    assert.equal(tip.length, 3);
    assert.match(tip[1]!, /^Docker is unavailable — tasks run as local processes: no Docker engine/);
    assert.equal(tip[2], "Sidecar 0.1.0 · data in /home/ana/.local/share/taskyard");
    assert.deepEqual(serverInfoLines(docker)[0], "New tasks run in Docker containers (engine 20.10.24 at unix:///var/run/docker.sock)");
    assert.equal(statusBarText(counts([]), "running").tooltip.split("\n").length, 1, "nothing before the sidecar answered");
  });
});

describe("interpreter: the setting, else the Python extension's, else python3", () => {
  interface Calls { activated: number; asked: unknown[] }
  function fakeExtension(api: PythonExtensionApi, opts: { active?: boolean; hang?: boolean } = {}): ExtensionLike<PythonExtensionApi> & { calls: Calls } {
    const calls: Calls = { activated: 0, asked: [] };
    return {
      calls,
      isActive: opts.active ?? false,
      exports: api,
      activate: () => {
        calls.activated++;
        return opts.hang ? new Promise<PythonExtensionApi>(() => undefined) : Promise.resolve(api);
      },
    };
  }
  function envApi(active: string, executable: string | undefined, calls?: unknown[]): PythonExtensionApi {
    return {
      ready: Promise.resolve(),
      environments: {
        getActiveEnvironmentPath: (resource) => {
          calls?.push(resource);
          return { id: active, path: active };
        },
        resolveEnvironment: async () => (executable === undefined ? undefined : { executable: { uri: { fsPath: executable } } }),
      },
    };
  }

  test("the setting wins; the Python extension is not even activated", async () => {
    const ext = fakeExtension(envApi("/venv", "/venv/bin/python"));
    assert.deepEqual(await chooseInterpreter("  /opt/py/bin/python3 ", ext, undefined), { python: "/opt/py/bin/python3", source: "setting" });
    assert.equal(ext.calls.activated, 0);
  });

  test("no setting: the extension's active environment, resolved to its executable, for the workspace folder", async () => {
    const asked: unknown[] = [];
    const ext = fakeExtension(envApi("/work/.venv", "/work/.venv/bin/python", asked));
    const folder = { fsPath: "/work" };
    assert.deepEqual(await chooseInterpreter("", ext, folder), { python: "/work/.venv/bin/python", source: "python-extension" });
    assert.equal(ext.calls.activated, 1, "an inactive extension is activated");
    assert.deepEqual(asked, [folder]);
    const active = fakeExtension(envApi("/e", "/e/bin/python"), { active: true });
    assert.equal((await chooseInterpreter("", active, undefined)).python, "/e/bin/python");
    assert.equal(active.calls.activated, 0, "an active one is used as it is");
  });

  test("the extension waits for `ready` before it is asked", async () => {
    let ready!: () => void;
    const api = envApi("/e", "/e/bin/python");
    api.ready = new Promise<void>((r) => (ready = r));
    const pending = chooseInterpreter("", fakeExtension(api), undefined);
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(settled, false);
    ready();
    assert.equal((await pending).python, "/e/bin/python");
  });

  test("an environment that does not resolve falls back to the extension's execution command", async () => {
    const api: PythonExtensionApi = { ...envApi("/gone", undefined), settings: { getExecutionDetails: () => ({ execCommand: ["/usr/bin/python3.12", "-X"] }) } };
    assert.deepEqual(await chooseInterpreter("", fakeExtension(api), undefined), { python: "/usr/bin/python3.12", source: "python-extension" });
    const old: PythonExtensionApi = { settings: { getExecutionDetails: () => ({ execCommand: ["/old/python"] }) } };
    assert.equal((await chooseInterpreter("", fakeExtension(old), undefined)).python, "/old/python", "an extension without the environments API");
  });

  test("python3 when the extension is missing, has nothing selected, throws or hangs", async () => {
    const fallback = { python: "python3", source: "default" };
    assert.deepEqual(await chooseInterpreter("", undefined, undefined), fallback);
    const placeholder: PythonExtensionApi = { settings: { getExecutionDetails: () => ({ execCommand: ["python"] }) } };
    assert.deepEqual(await chooseInterpreter("", fakeExtension(placeholder), undefined), fallback, "a bare `python` means nothing selected");
    const throwing = fakeExtension(envApi("/e", "/e/bin/python"));
    throwing.activate = () => Promise.reject(new Error("activation failed"));
    assert.deepEqual(await chooseInterpreter("", throwing, undefined), fallback);
    const t0 = Date.now();
    assert.deepEqual(await chooseInterpreter("", fakeExtension(envApi("/e", "/e/bin/python"), { hang: true }), undefined, 30), fallback);
    assert.ok(Date.now() - t0 < 1000, "a hanging extension costs only the timeout");
  });
});
