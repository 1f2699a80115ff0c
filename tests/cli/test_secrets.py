"""``taskyard secret`` on a machine without an OS keyring (this one): the environment fallback.

Writing needs a keyring, so ``set`` and ``delete`` must say which environment variable to use
instead; ``list`` shows what the environment provides.
"""

from __future__ import annotations

import pytest

from .conftest import Cli

ENV = {"TASKYARD_SECRET_GITHUB_TOKEN": "ghp_0123456789", "ANTHROPIC_API_KEY": "sk-ant-0123456789"}


def test_set_without_a_keyring_names_the_variable(cli: Cli) -> None:
    result = cli("secret", "set", "github-token", "--stdin", stdin="ghp_0123456789\n")
    assert result.code == 1
    assert result.error_line == (
        "taskyard: error: cannot store secret 'github-token': The OS keyring is unavailable "
        "(NoKeyringError); set the environment variable TASKYARD_SECRET_GITHUB_TOKEN instead"
    )
    assert "ghp_0123456789" not in result.err + result.out
    as_json = cli(
        "secret", "set", "anthropic_api_key", "--stdin", "-o", "json", stdin="sk-12345678"
    )
    assert as_json.json()["error"]["kind"] == "keyringUnavailable"
    assert "TASKYARD_SECRET_ANTHROPIC_API_KEY or ANTHROPIC_API_KEY" in as_json.error_line


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        pytest.param(("set", "token"), "", 2, "pipe it with --stdin", id="no-terminal"),
        pytest.param(("set", "token", "--stdin"), "\n", 2, "is empty", id="empty"),
        pytest.param(("set", "no way", "--stdin"), "x", 1, "invalid secret name", id="bad-name"),
        pytest.param(("delete", "bad name!"), "", 1, "invalid secret name", id="delete-bad-name"),
    ],
)
def test_set_bad_input(
    cli: Cli, args: tuple[str, ...], stdin: str, code: int, message: str
) -> None:
    result = cli("secret", *args, stdin=stdin)
    assert result.code == code
    assert message in result.error_line


def test_list_shows_secrets_from_the_environment(cli: Cli) -> None:
    table = cli("secret", "list", env=ENV)
    assert table.out.splitlines() == [
        "NAME               SOURCE",
        "anthropic-api-key  ANTHROPIC_API_KEY",
        "github-token       TASKYARD_SECRET_GITHUB_TOKEN",
    ]
    assert "ghp_" not in table.out
    data = cli("secrets", "ls", "-o", "json", env=ENV).json()
    assert data == {
        "secrets": [
            {"name": "anthropic-api-key", "source": "ANTHROPIC_API_KEY"},
            {"name": "github-token", "source": "TASKYARD_SECRET_GITHUB_TOKEN"},
        ]
    }
    empty = cli("secret", "list")
    assert empty.code == 0 and empty.out == "" and "No secrets are set." in empty.err


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param(
            ENV,
            "comes from the environment variable TASKYARD_SECRET_GITHUB_TOKEN: unset that variable",
            id="from-env",
        ),
        pytest.param({}, "secret 'github-token' is not set: nothing to delete", id="not-set"),
    ],
)
def test_delete_without_a_keyring(cli: Cli, env: dict[str, str], message: str) -> None:
    result = cli("secret", "delete", "GITHUB_TOKEN", env=env)
    assert result.code == 1
    assert "the OS keyring is unavailable" in result.error_line and message in result.error_line
