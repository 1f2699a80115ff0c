"""SecretStore over an in-memory keyring and over keyring's ``fail`` backend, plus the Redactor.

The ``fail`` backend is what a machine without an OS keyring gets (this one included): every call
raises ``NoKeyringError``, and the environment must answer instead.
"""

from __future__ import annotations

import logging
import threading
import time

import pytest
from keyring.backends.fail import Keyring as FailKeyring
from keyring.errors import PasswordDeleteError

from taskyard.services.secrets import (
    MASK,
    KeyringBackend,
    KeyringUnavailable,
    Redactor,
    SecretMissingError,
    SecretStore,
    canonical_name,
    env_var_for,
)

VALUE = "sk-ant-abcdef123456"
OTHER = "ghp_0123456789abcdef"


def no_keyring() -> KeyringBackend:
    """keyring's backend for machines without an OS keyring: every call raises."""
    return FailKeyring()  # type: ignore[no-untyped-call]  # keyring leaves it unannotated


class MemoryKeyring:
    """A keyring that keeps entries in a dict and notes which threads called it."""

    def __init__(self, entries: dict[tuple[str, str], str] | None = None) -> None:
        self.entries = dict(entries or {})
        self.threads: set[int] = set()

    def get_password(self, service: str, username: str) -> str | None:
        self.threads.add(threading.get_ident())
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.threads.add(threading.get_ident())
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.threads.add(threading.get_ident())
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("Password not found")


@pytest.mark.parametrize(
    ("keyring", "env", "name", "expected"),
    [
        pytest.param({"github-token": VALUE}, {}, "github-token", VALUE, id="keyring"),
        pytest.param({}, {"TASKYARD_SECRET_GITHUB_TOKEN": VALUE}, "github-token", VALUE, id="env"),
        pytest.param({}, {"ANTHROPIC_API_KEY": VALUE}, "anthropic-api-key", VALUE, id="well-known"),
        pytest.param({}, {"OPENAI_API_KEY": VALUE}, "openai-api-key", VALUE, id="openai"),
        pytest.param({}, {"GEMINI_API_KEY": VALUE}, "gemini-api-key", VALUE, id="gemini"),
        pytest.param(
            {},
            {"TASKYARD_SECRET_ANTHROPIC_API_KEY": VALUE, "ANTHROPIC_API_KEY": OTHER},
            "anthropic-api-key",
            VALUE,
            id="taskyard-var-beats-well-known",
        ),
        pytest.param(
            {"github-token": VALUE},
            {"TASKYARD_SECRET_GITHUB_TOKEN": OTHER},
            "github-token",
            VALUE,
            id="keyring-beats-env",
        ),
        pytest.param(
            {"anthropic-api-key": VALUE}, {}, "ANTHROPIC_API_KEY", VALUE, id="variable-style-name"
        ),
        pytest.param(
            {"github-token": ""}, {"GITHUB_TOKEN": VALUE}, "github-token", None, id="none"
        ),
    ],
)
async def test_get(
    keyring: dict[str, str], env: dict[str, str], name: str, expected: str | None
) -> None:
    backend = MemoryKeyring({("taskyard", k): v for k, v in keyring.items()})
    store = SecretStore(backend, env)
    if expected is None:
        with pytest.raises(SecretMissingError):
            await store.get(name)
    else:
        assert await store.get(name) == expected
    assert threading.get_ident() not in backend.threads, "keyring called on the event loop"


@pytest.mark.parametrize(
    ("name", "canonical", "env_var"),
    [
        pytest.param("github-token", "github-token", "TASKYARD_SECRET_GITHUB_TOKEN", id="plain"),
        pytest.param("GITHUB_TOKEN", "github-token", "TASKYARD_SECRET_GITHUB_TOKEN", id="upper"),
        pytest.param(" Api-Key2 ", "api-key2", "TASKYARD_SECRET_API_KEY2", id="spaces"),
    ],
)
def test_names_are_canonical(name: str, canonical: str, env_var: str) -> None:
    assert canonical_name(name) == canonical
    assert env_var_for(name) == env_var


@pytest.mark.parametrize("name", ["", "-x", "x-", "a b", "a.b", ".index", "ü"])
async def test_invalid_name(name: str) -> None:
    with pytest.raises(ValueError, match="invalid secret name"):
        await SecretStore(MemoryKeyring(), {}).get(name)


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        pytest.param(
            "github-token",
            ["'github-token'", "taskyard secret set github-token", "TASKYARD_SECRET_GITHUB_TOKEN"],
            id="custom",
        ),
        pytest.param(
            "ANTHROPIC_API_KEY",
            ["taskyard secret set anthropic-api-key", "TASKYARD_SECRET_ANTHROPIC_API_KEY", "or"],
            id="well-known",
        ),
    ],
)
async def test_missing_message_names_the_secret_and_how_to_set_it(
    name: str, fragments: list[str]
) -> None:
    backend = MemoryKeyring({("taskyard", "other"): VALUE})
    with pytest.raises(SecretMissingError) as caught:
        await SecretStore(backend, {"UNRELATED": OTHER}).get(name)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message
    assert VALUE not in message and OTHER not in message
    assert caught.value.kind == "secretMissing"
    assert caught.value.secret == canonical_name(name)


async def test_missing_well_known_mentions_vendor_variable() -> None:
    with pytest.raises(SecretMissingError) as caught:
        await SecretStore(MemoryKeyring(), {}).get("openai-api-key")
    assert caught.value.env_vars == ["TASKYARD_SECRET_OPENAI_API_KEY", "OPENAI_API_KEY"]
    assert "OPENAI_API_KEY" in str(caught.value)


async def test_set_get_delete_names_round_trip() -> None:
    backend = MemoryKeyring()
    store = SecretStore(backend, {"TASKYARD_SECRET_FROM_ENV": OTHER})
    await store.set("GitHub_Token", VALUE)
    await store.set("api-key", OTHER)
    assert backend.entries[("taskyard", "github-token")] == VALUE
    assert await store.get("github-token") == VALUE
    assert await store.names() == ["api-key", "from-env", "github-token"]

    assert await store.delete("github-token") is True
    assert await store.delete("github-token") is False
    assert await store.names() == ["api-key", "from-env"]
    with pytest.raises(SecretMissingError):
        await store.get("github-token")
    assert threading.get_ident() not in backend.threads


async def test_set_same_name_twice_keeps_one_index_entry() -> None:
    store = SecretStore(MemoryKeyring(), {})
    await store.set("token", VALUE)
    await store.set("token", OTHER)
    assert await store.names() == ["token"]
    assert await store.get("token") == OTHER


async def test_corrupt_index_is_rebuilt() -> None:
    backend = MemoryKeyring({("taskyard", ".index"): "{not json"})
    store = SecretStore(backend, {})
    assert await store.names() == []
    await store.set("token", VALUE)
    assert await store.names() == ["token"]


async def test_set_rejects_empty_value() -> None:
    with pytest.raises(ValueError, match="cannot be empty"):
        await SecretStore(MemoryKeyring(), {}).set("token", "")


async def test_no_keyring_falls_back_to_env() -> None:
    env = {"ANTHROPIC_API_KEY": VALUE, "TASKYARD_SECRET_GITHUB_TOKEN": OTHER}
    store = SecretStore(no_keyring(), env)
    assert await store.get("anthropic-api-key") == VALUE
    assert await store.get("GITHUB_TOKEN") == OTHER
    assert await store.names() == ["anthropic-api-key", "github-token"]


async def test_no_keyring_missing_says_why() -> None:
    with pytest.raises(SecretMissingError) as caught:
        await SecretStore(no_keyring(), {}).get("github-token")
    assert "OS keyring unavailable: NoKeyringError" in str(caught.value)


@pytest.mark.parametrize("operation", ["set", "delete"])
async def test_no_keyring_writes_raise_unavailable(operation: str) -> None:
    store = SecretStore(no_keyring(), {})
    with pytest.raises(KeyringUnavailable) as caught:
        if operation == "set":
            await store.set("github-token", VALUE)
        else:
            await store.delete("github-token")
    assert "TASKYARD_SECRET_GITHUB_TOKEN" in str(caught.value)
    assert VALUE not in str(caught.value)


async def test_values_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    backend = MemoryKeyring({("taskyard", ".index"): "broken"})
    store = SecretStore(backend, {"ANTHROPIC_API_KEY": OTHER})
    await store.set("token", VALUE)
    await store.get("token")
    await store.get("anthropic-api-key")
    failing = SecretStore(no_keyring(), {"ANTHROPIC_API_KEY": OTHER})
    await failing.get("anthropic-api-key")
    await failing.names()
    assert caplog.records, "expected the corrupt index and the missing keyring to be logged"
    assert all(VALUE not in r.getMessage() and OTHER not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param([("EDITOR", "vim", None)], {"EDITOR": "vim"}, id="literal"),
        pytest.param([("TOKEN", None, "github-token")], {"TOKEN": VALUE}, id="secret-by-name"),
        pytest.param(
            [("ANTHROPIC_API_KEY", None, True)], {"ANTHROPIC_API_KEY": OTHER}, id="secret-true"
        ),
        pytest.param(
            [("TOKEN", "ignored", "github-token"), ("EMPTY", "", None)],
            {"TOKEN": VALUE, "EMPTY": ""},
            id="secret-wins-and-empty-literal",
        ),
        pytest.param([], {}, id="empty"),
    ],
)
async def test_resolve_env(
    spec: list[tuple[str, str | None, str | bool | None]], expected: dict[str, str]
) -> None:
    backend = MemoryKeyring({("taskyard", "github-token"): VALUE})
    store = SecretStore(backend, {"ANTHROPIC_API_KEY": OTHER})
    assert await store.resolve_env(spec) == expected
    secrets = [v for v in expected.values() if v in (VALUE, OTHER)]
    for value in secrets:
        assert store.redactor.redact(f"x {value} y") == f"x {MASK} y"


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        pytest.param([("TOKEN", None, "absent")], SecretMissingError, id="missing"),
        pytest.param([("TOKEN", None, None)], ValueError, id="no-value-no-secret"),
    ],
)
async def test_resolve_env_errors(
    spec: list[tuple[str, str | None, str | bool | None]], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await SecretStore(MemoryKeyring(), {}).resolve_env(spec)


@pytest.mark.parametrize(
    ("values", "text", "expected"),
    [
        pytest.param([], "nothing to hide", "nothing to hide", id="no-values"),
        pytest.param([VALUE], f"key={VALUE}.", f"key={MASK}.", id="one"),
        pytest.param([VALUE], f"{VALUE}{VALUE}", MASK * 2, id="adjacent"),
        pytest.param(["12345"], "pin 12345", "pin 12345", id="too-short"),
        pytest.param(["123456"], "pin 123456", f"pin {MASK}", id="six-chars"),
        pytest.param(["abcdef", "abcdefgh"], "abcdefgh", MASK, id="longest-first"),
        pytest.param(["a.b*c+d"], "a.b*c+d axbxcxd", f"{MASK} axbxcxd", id="regex-chars-escaped"),
        pytest.param(["pässwörd"], "my pässwörd!", f"my {MASK}!", id="unicode"),
        pytest.param(
            [f"value-{i:02d}-xyz" for i in range(10)],
            "a value-07-xyz b value-00-xyz",
            f"a {MASK} b {MASK}",
            id="many-values-regex-only",
        ),
    ],
)
def test_redactor(values: list[str], text: str, expected: str) -> None:
    redactor = Redactor(values)
    assert redactor.redact(text) == expected
    assert redactor(text) == expected


def test_redactor_add_is_idempotent() -> None:
    redactor = Redactor()
    redactor.add(VALUE)
    redactor.add(VALUE)
    redactor.add("short")
    assert len(redactor) == 1
    assert redactor.redact(VALUE) == MASK


def test_redactor_learns_values_after_use() -> None:
    redactor = Redactor([VALUE])
    assert redactor.redact(OTHER) == OTHER
    redactor.add(OTHER)
    assert redactor.redact(f"{OTHER} {VALUE}") == f"{MASK} {MASK}"


def test_redactor_is_cheap_for_long_texts() -> None:
    redactor = Redactor(f"secret-value-{i:04d}" for i in range(200))
    text = ("ordinary log line without anything to hide\n" * 50_000) + "secret-value-0199"
    started = time.perf_counter()
    redacted = redactor.redact(text)
    assert time.perf_counter() - started < 1.0
    assert redacted.endswith(MASK)
