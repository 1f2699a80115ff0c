"""The template catalog: every task template the sidecar can offer, kept current as files change.

Templates are TOML files in up to three kinds of folders, read in priority order: the built-in
folder (:data:`BUILTIN_FOLDER`), the user's ``$XDG_CONFIG_HOME/taskyard/templates`` and the open
workspace's ``.taskyard/templates`` (see :func:`default_folders`). A template from a later folder
replaces an earlier one of the same name. A file that fails to load yields diagnostics and is
left out, so it does not hide the template it would have replaced. :class:`TemplateService`
loads the folders in a worker thread, watches them with ``watchfiles`` and reports each change.

File format (one file = one template; keys are snake_case; unknown keys are errors)::

    name = "claude"              # optional; defaults to the file stem; [a-z0-9][a-z0-9-]*
    display_name = "Claude Code" # optional; defaults to the name
    description = "Markdown"     # optional
    icon = "$(sparkle)"          # optional: codicon id, URL or path

    [agent]
    type = "claude"              # demo|claude|aider|custom|codex|gemini|goose|opencode
    version = "2.1.0"            # optional
    command = ["claude"]         # optional (required for custom): the agent's command line
    extra_args = ["--permission-mode", "{{ parameters.permission_mode }}"]
    [[agent.mcp_servers]]        # any number: name, command (required), args = [], env = {}

    [workspace]                  # optional table; every key is optional
    provider = "auto"            # auto (default) | local | docker
    image = "node:22"            # or dockerfile = "Dockerfile" (relative to this file), not both
    workdir = "/workspace"
    repo = "worktree"            # worktree (default) | clone | bind | none
    setup_script = "npm ci"
    idle_timeout_minutes = 30    # integer >= 1
    preview_port = 3000          # 1..65535
    env = { NODE_ENV = "development", ANTHROPIC_API_KEY = { secret = "anthropic-api-key" } }
    resources = { cpus = 2, memory_mb = 4096, pids = 512 }   # or a [workspace.resources] table

    [[parameters]]               # Coder's parameter model (coder-tasks.md §6)
    name = "model"               # required; [A-Za-z_][A-Za-z0-9_-]*; unique
    display_name = "Model"       # optional; defaults to the name
    description = "Markdown"     # optional
    type = "string"              # string (default) | number | bool | list(string)
    form_type = "dropdown"       # optional; Coder's default for the type (see FORM_TYPES)
    default = "sonnet"           # optional (no default = required); 5, true, ["a"] also work
    options = [{ name = "Sonnet", value = "sonnet", description = "…", icon = "…" }]
    validation = { min = 1, max = 8, regex = "…", error = "{value} not in {min}..{max}",
                   monotonic = "increasing" }
    mutable = false              # ephemeral = false, order = <position in the file>, icon
    styling = { disabled = false, placeholder = "…", mask_input = false }

    [[presets]]
    name = "small"               # required, unique
    description = "For quick fixes"
    default = true               # at most one preset
    parameters = { model = "sonnet", cpus = 2 }

Parameter values may appear as ``{{ parameters.NAME }}`` in ``agent.command``,
``agent.extra_args``, the MCP servers, ``workspace.setup_script`` and ``workspace.env`` values;
a reference to an undeclared parameter is a load error. :meth:`TemplateSpec.render` substitutes
them (no shell quoting: quote in the script where a value may hold spaces).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

import attrs
import watchfiles

from taskyard import protocol
from taskyard.protocol import Template, TemplateDiagnostic, TemplateSource

from .loader import AGENT_TYPES, TemplateSpec, load_file
from .params import (
    FORM_TYPES,
    PresetNotFoundError,
    RenderError,
    TemplateNotFoundError,
    ValidationResult,
    render,
    validate_values,
)

__all__ = [
    "AGENT_TYPES",
    "BUILTIN_FOLDER",
    "FORM_TYPES",
    "ChangeCallback",
    "PresetNotFoundError",
    "RenderError",
    "TemplateFolder",
    "TemplateNotFoundError",
    "TemplateService",
    "TemplateSpec",
    "ValidationResult",
    "default_folders",
    "render",
]

logger = logging.getLogger(__name__)

BUILTIN_FOLDER: Final = Path(__file__).resolve().parents[2] / "templates"
"""The templates shipped with Taskyard."""

ChangeCallback = Callable[[list[Template], list[TemplateDiagnostic]], Awaitable[None] | None]
"""Called with the new templates and diagnostics after a reload that changed either."""


@attrs.frozen
class TemplateFolder:
    """A folder of template files and the source its templates are reported with."""

    path: Path
    """The folder; it need not exist (yet)."""

    source: TemplateSource
    """``builtin``, ``user`` or ``workspace``."""


def default_folders(
    workspace: Path | None = None, env: Mapping[str, str] | None = None
) -> list[TemplateFolder]:
    """Built-in, then the user's config folder, then the workspace's ``.taskyard/templates``."""
    env = os.environ if env is None else env
    config = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    folders = [
        TemplateFolder(BUILTIN_FOLDER, "builtin"),
        TemplateFolder(config / "taskyard" / "templates", "user"),
    ]
    if workspace is not None:
        folders.append(TemplateFolder(workspace / ".taskyard" / "templates", "workspace"))
    return folders


class TemplateService:
    """Loads, serves and live-reloads the templates of a list of folders.

    Parameters
    ----------
    folders
        Template folders in priority order: a later folder's template replaces an earlier one
        of the same name.
    on_change
        Called (and awaited, if it returns an awaitable) after each watched reload that
        changed the templates or the diagnostics; not called by :meth:`load` itself.
    debounce_ms
        Quiet time that ends a burst of file events (editors save in several steps).
    """

    def __init__(
        self,
        folders: Sequence[TemplateFolder],
        on_change: ChangeCallback | None = None,
        *,
        debounce_ms: int = 100,
    ) -> None:
        self._folders = [TemplateFolder(f.path.absolute(), f.source) for f in folders]
        self._on_change = on_change
        self._debounce_ms = debounce_ms
        self._specs: dict[str, TemplateSpec] = {}
        self._diagnostics: list[TemplateDiagnostic] = []
        self._lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    @property
    def folders(self) -> list[TemplateFolder]:
        """The folders, in priority order."""
        return list(self._folders)

    @property
    def templates(self) -> list[Template]:
        """Every loaded template, sorted by name."""
        return [self._specs[name].template for name in sorted(self._specs)]

    @property
    def diagnostics(self) -> list[TemplateDiagnostic]:
        """Problems of the last load, by file and line."""
        return list(self._diagnostics)

    def snapshot(self) -> protocol.TemplateCatalog:
        """The ``taskyard/templates/list`` result."""
        return protocol.TemplateCatalog(templates=self.templates, diagnostics=self.diagnostics)

    def get(self, name: str) -> Template:
        """The named template; :class:`TemplateNotFoundError` otherwise."""
        return self.spec(name).template

    def spec(self, name: str) -> TemplateSpec:
        """The named template with its launch facts; :class:`TemplateNotFoundError` otherwise."""
        try:
            return self._specs[name]
        except KeyError:
            raise TemplateNotFoundError(name) from None

    def validate(
        self,
        template_name: str,
        preset: str | None = None,
        values: Mapping[str, str] | None = None,
        previous: Mapping[str, str] | None = None,
    ) -> ValidationResult:
        """Resolve and check parameter values (see :func:`.template_params.validate_values`).

        Raises :class:`TemplateNotFoundError` and :class:`PresetNotFoundError`; rejected values come
        back in the result.
        """
        return validate_values(self.get(template_name), preset, values or {}, previous)

    async def load(self) -> bool:
        """Read every folder again; True if the templates or diagnostics changed."""
        async with self._lock:
            specs, diagnostics = await asyncio.to_thread(_scan, self._folders)
            changed = (specs, diagnostics) != (self._specs, self._diagnostics)
            self._specs, self._diagnostics = specs, diagnostics
            return changed

    async def set_folders(self, folders: Sequence[TemplateFolder]) -> None:
        """Switch to other folders (a workspace opened or closed), reload and keep watching."""
        watching = self._watcher is not None
        await self.close()
        self._folders = [TemplateFolder(f.path.absolute(), f.source) for f in folders]
        await self._reload()
        if watching:
            await self.watch()

    async def watch(self) -> None:
        """Start reloading on file changes in the background, until :meth:`close`."""
        if self._watcher is None:
            self._stop = asyncio.Event()
            self._watcher = asyncio.create_task(self._watch_loop(), name="template-watcher")

    async def close(self) -> None:
        """Stop watching; the loaded templates stay available."""
        watcher, self._watcher = self._watcher, None
        if watcher is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(watcher, timeout=5)
        except TimeoutError:
            logger.warning("template watcher did not stop in time; cancelled")

    async def _reload(self) -> None:
        if not await self.load() or self._on_change is None:
            return
        try:
            result = self._on_change(self.templates, self.diagnostics)
            if inspect.isawaitable(result):
                await result
        except Exception:
            logger.exception("template change callback failed")

    async def _watch_loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self._watch_roots(await asyncio.to_thread(_watch_roots, self._folders))
            except Exception:
                # A folder vanishing while the watcher starts lands here; look again shortly.
                logger.exception("template watcher failed; restarting")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=1)

    async def _watch_roots(self, roots: list[Path]) -> None:
        """Watch ``roots`` until stopped or until the set of folders to watch changes."""
        chain = _folder_chain(self._folders)

        def relevant(_: watchfiles.Change, path: str) -> bool:
            return path.endswith(".toml") or Path(path) in chain

        batches = watchfiles.awatch(
            *roots,
            watch_filter=relevant,
            step=self._debounce_ms,
            stop_event=self._stop,
            recursive=False,
        )
        stream = _started(batches, self._reload)
        async with contextlib.aclosing(batches), contextlib.aclosing(stream):
            async for _ in stream:
                await self._reload()
                if await asyncio.to_thread(_watch_roots, self._folders) != roots:
                    return


async def _started(
    batches: AsyncIterator[set[tuple[watchfiles.Change, str]]],
    on_ready: Callable[[], Awaitable[None]],
) -> AsyncGenerator[set[tuple[watchfiles.Change, str]]]:
    """Iterate ``batches``, calling ``on_ready`` once the watcher is live.

    awatch starts its OS watcher synchronously in the first step of its first ``__anext__``,
    so after one scheduling round the watcher exists; reloading then catches any file written
    between the last load and that moment.
    """
    first = asyncio.ensure_future(anext(batches, None))
    await asyncio.sleep(0)
    await on_ready()
    batch = await first
    while batch is not None:
        yield batch
        batch = await anext(batches, None)


def _scan(
    folders: list[TemplateFolder],
) -> tuple[dict[str, TemplateSpec], list[TemplateDiagnostic]]:
    """Load every folder in order (blocking; runs in a worker thread)."""
    specs: dict[str, TemplateSpec] = {}
    diagnostics: list[TemplateDiagnostic] = []
    for folder in folders:
        seen: dict[str, Path] = {}
        for file in _template_files(folder.path):
            spec, found = load_file(file, folder.source)
            diagnostics += found
            if spec is None:
                continue
            name = spec.template.name
            if name in seen:
                message = f"name: template '{name}' is already defined in {seen[name]}"
                diagnostics.append(
                    TemplateDiagnostic(path=str(file), message=message, severity="error")
                )
                continue
            seen[name] = file
            specs[name] = spec
    return specs, diagnostics


def _template_files(folder: Path) -> list[Path]:
    try:
        return sorted(path for path in folder.glob("*.toml") if path.is_file())
    except OSError as exc:
        logger.warning("cannot list template folder %s: %s", folder, exc)
        return []


def _watch_roots(folders: list[TemplateFolder]) -> list[Path]:
    """Each folder, or its nearest existing ancestor while it does not exist (blocking)."""
    roots: set[Path] = set()
    for folder in folders:
        path = folder.path
        while not path.is_dir() and path != path.parent:
            path = path.parent
        roots.add(path)
    return sorted(roots)


def _folder_chain(folders: list[TemplateFolder]) -> frozenset[Path]:
    """The folders and their ancestors: creating or removing one may change what to watch."""
    return frozenset(p for folder in folders for p in (folder.path, *folder.path.parents))
