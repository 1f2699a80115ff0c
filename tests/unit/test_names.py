"""NameGenerator against a mocked Anthropic Messages API, plus tables for the pure helpers.

Every HTTP exchange goes through ``httpx.MockTransport``; nothing touches the network.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
from collections.abc import Awaitable, Callable

import httpx
import pytest

from taskyard.services.names import (
    SYSTEM_PROMPT,
    NameGenerator,
    NamesExhausted,
    TaskName,
    is_valid_name,
    name_from_prompt,
    truncate_display,
)

SEED = 7
KEY = "sk-ant-test-0123456789"
PROMPT = "Fix the login bug in the auth service, please"
FROM_PROMPT = ("fix-the-login-bug-in-the", "Fix the login bug in the auth service, please")
SUFFIX = re.compile(r"^(?P<base>[a-z0-9-]+)-[0-9a-f]{4}$")

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


def first_suffix(seed: int = SEED) -> str:
    return f"{random.Random(seed).getrandbits(16):04x}"


def reply(text: str, status: int = 200) -> httpx.Response:
    """A Messages API response whose single text block is ``text``."""
    body = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-3-5-haiku-20241022",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 120, "output_tokens": 20},
    }
    return httpx.Response(status, json=body)


def names_json(task_name: str, display_name: str) -> str:
    return json.dumps({"task_name": task_name, "display_name": display_name})


async def never_taken(_: str) -> bool:
    return False


class Api:
    """Records requests and answers them with ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self.handler(request)
        return response if isinstance(response, httpx.Response) else await response


def generator(
    api: Api | None,
    key: str | None = KEY,
    *,
    seed: int = SEED,
    **kwargs: object,
) -> NameGenerator:
    async def provide_key() -> str | None:
        return key

    http = None if api is None else httpx.AsyncClient(transport=httpx.MockTransport(api))
    return NameGenerator(http, provide_key, random.Random(seed), **kwargs)  # type: ignore[arg-type]


async def test_llm_request_shape_and_name() -> None:
    api = Api(lambda _: reply(names_json("fix-login-bug", "Fix the login bug")))
    result = await generator(api).generate(PROMPT, never_taken)

    assert result == TaskName(f"fix-login-bug-{first_suffix()}", "Fix the login bug")
    (request,) = api.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api.anthropic.com/v1/messages"
    assert request.headers["x-api-key"] == KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "model": "claude-3-5-haiku-latest",
        "max_tokens": 100,
        "system": SYSTEM_PROMPT,
        "messages": [{"role": "user", "content": PROMPT}],
    }


async def test_llm_model_and_base_url_are_configurable() -> None:
    api = Api(lambda _: reply(names_json("fix-login-bug", "Fix the login bug")))
    gen = generator(api, model="claude-haiku-4-5", base_url="http://127.0.0.1:9/proxy/")
    await gen.generate(PROMPT, never_taken)
    (request,) = api.requests
    assert str(request.url) == "http://127.0.0.1:9/proxy/v1/messages"
    assert json.loads(request.content)["model"] == "claude-haiku-4-5"


def test_system_prompt_states_the_rules() -> None:
    for rule in ("task_name", "display_name", "27", "64", "JSON"):
        assert rule in SYSTEM_PROMPT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '```json\n{"task_name": "login-fix", "display_name": "Login fix"}\n```',
            ("login-fix", "Login fix"),
            id="code-fence",
        ),
        pytest.param(
            names_json(" login-fix ", "  fix   the\nlogin "),
            ("login-fix", "Fix the login"),
            id="whitespace-trimmed-and-capitalised",
        ),
        pytest.param(
            names_json("a" * 27, "Long " * 20),
            ("a" * 27, ("Long " * 12).strip() + "…"),
            id="limits",
        ),
    ],
)
async def test_llm_answers_accepted(text: str, expected: tuple[str, str]) -> None:
    name, display = await generator(Api(lambda _: reply(text))).generate(PROMPT, never_taken)
    match = SUFFIX.match(name)
    assert match and match["base"] == expected[0]
    assert display == expected[1]
    assert len(name) <= 32 and len(display) <= 64


async def _slow(_: httpx.Request) -> httpx.Response:
    await asyncio.sleep(5)
    return reply(names_json("too-late", "Too late"))


def _raise(error: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return handler


@pytest.mark.parametrize(
    "handler",
    [
        pytest.param(lambda _: reply("overloaded", status=529), id="http-529"),
        pytest.param(lambda _: reply("", status=500), id="http-500"),
        pytest.param(lambda _: httpx.Response(401, json={"type": "error"}), id="http-401"),
        pytest.param(_raise(httpx.ReadTimeout("timed out")), id="httpx-timeout"),
        pytest.param(_raise(httpx.ConnectError("refused")), id="connect-error"),
        pytest.param(_slow, id="slow-answer"),
        pytest.param(lambda _: httpx.Response(200, text="<html>nope</html>"), id="body-not-json"),
        pytest.param(lambda _: httpx.Response(200, json={"content": "x"}), id="body-wrong-shape"),
        pytest.param(lambda _: reply("Sure! Here is a name: login-fix"), id="text-not-json"),
        pytest.param(lambda _: reply('{"task_name": "login-fix"'), id="text-truncated-json"),
        pytest.param(lambda _: reply('{"task_name": "login-fix"}'), id="missing-display-name"),
        pytest.param(lambda _: reply(names_json("Login_Fix", "Login fix")), id="invalid-chars"),
        pytest.param(lambda _: reply(names_json("login--fix", "Login fix")), id="double-hyphen"),
        pytest.param(lambda _: reply(names_json("-login-fix", "Login fix")), id="leading-hyphen"),
        pytest.param(lambda _: reply(names_json("a" * 28, "Login fix")), id="name-too-long"),
        pytest.param(lambda _: reply(names_json("", "Login fix")), id="name-empty"),
        pytest.param(lambda _: reply(names_json("login-fix", "  ")), id="display-empty"),
        pytest.param(
            lambda _: reply(names_json("task-unnamed", "Task Unnamed")), id="unnamed-placeholder"
        ),
    ],
)
async def test_llm_failures_fall_back_to_prompt(
    handler: Handler, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = Api(handler)
    name, display = await generator(api, timeout=0.05).generate(PROMPT, never_taken)
    assert len(api.requests) == 1
    assert (name, display) == (f"{FROM_PROMPT[0]}-{first_suffix()}", FROM_PROMPT[1])
    assert all(KEY not in r.getMessage() for r in caplog.records)


async def test_key_provider_failure_falls_back_to_prompt() -> None:
    async def broken() -> str | None:
        raise RuntimeError("keyring exploded")

    api = Api(lambda _: reply(names_json("never", "Never")))
    http = httpx.AsyncClient(transport=httpx.MockTransport(api))
    gen = NameGenerator(http, broken, random.Random(SEED))
    assert (await gen.generate(PROMPT, never_taken)).display_name == FROM_PROMPT[1]
    assert api.requests == []


@pytest.mark.parametrize(
    ("with_http", "key", "prompt"),
    [
        pytest.param(True, None, PROMPT, id="no-key"),
        pytest.param(True, "", PROMPT, id="empty-key"),
        pytest.param(False, KEY, PROMPT, id="no-http-client"),
        pytest.param(True, KEY, "  \n ", id="blank-prompt"),
    ],
)
async def test_llm_skipped(with_http: bool, key: str | None, prompt: str) -> None:
    api = Api(lambda _: reply(names_json("never", "Never")))
    await generator(api if with_http else None, key).generate(prompt, never_taken)
    assert api.requests == []


async def test_long_prompt_is_capped_for_the_llm() -> None:
    api = Api(lambda _: reply(names_json("big-task", "Big task")))
    await generator(api).generate("word " * 5000, never_taken)
    content = json.loads(api.requests[0].content)["messages"][0]["content"]
    assert len(content) == 4000


@pytest.mark.parametrize("prompt", ["", "   ", "東京タワー", "!!! ??? ..."])
async def test_random_name_when_prompt_has_no_words(prompt: str) -> None:
    name, display = await generator(None).generate(prompt, never_taken)
    match = re.match(r"^([a-z]+)-([a-z]+)-[0-9a-f]{4}$", name)
    assert match, name
    assert display == f"{match[1].capitalize()} {match[2]}"
    # Seeded: the same seed gives the same name.
    assert (await generator(None).generate(prompt, never_taken)).name == name


async def test_retries_with_new_suffix_while_taken() -> None:
    seen: list[str] = []

    async def taken(name: str) -> bool:
        seen.append(name)
        return len(seen) < 3

    name, _ = await generator(None).generate(PROMPT, taken)
    assert len(seen) == 3 and name == seen[-1]
    assert len(set(seen)) == 3
    assert all(n.startswith(FROM_PROMPT[0] + "-") for n in seen)


async def test_gives_up_after_bounded_attempts() -> None:
    calls = 0

    async def always(_: str) -> bool:
        nonlocal calls
        calls += 1
        return True

    with pytest.raises(NamesExhausted, match="fix-the-login-bug-in-the"):
        await generator(None, attempts=5).generate(PROMPT, always)
    assert calls == 5


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        pytest.param(PROMPT, FROM_PROMPT, id="words-up-to-27"),
        pytest.param("Add tests", ("add-tests", "Add tests"), id="short"),
        pytest.param(
            "refactor: DB layer (v2)!",
            ("refactor-db-layer-v2", "Refactor: DB layer (v2)!"),
            id="punct",
        ),
        pytest.param(
            "Don't break users\u2019 builds",
            ("dont-break-users-builds", "Don't break users\u2019 builds"),
            id="apostrophes-dropped",
        ),
        pytest.param(
            "Übersicht für café-Menü",
            ("ubersicht-fur-cafe-menu", "Übersicht für café-Menü"),
            id="accents",
        ),
        pytest.param("x" * 40, ("x" * 27, "X" + "x" * 39), id="one-long-word-cut"),
        pytest.param(
            "fix\n\n  the\tbug\r\nnow", ("fix-the-bug-now", "Fix the bug now"), id="whitespace"
        ),
        pytest.param("東京", None, id="no-ascii-words"),
        pytest.param("", None, id="empty"),
    ],
)
def test_name_from_prompt(prompt: str, expected: tuple[str, str] | None) -> None:
    assert name_from_prompt(prompt) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("short", "Short", id="short"),
        pytest.param("a" * 64, "A" + "a" * 63, id="exactly-64"),
        pytest.param("word " * 13 + "end", ("Word " + "word " * 11).rstrip() + "…", id="on-word"),
        pytest.param("b" * 70, "B" + "b" * 62 + "…", id="no-boundary"),
        pytest.param("", "", id="empty"),
    ],
)
def test_truncate_display(text: str, expected: str) -> None:
    assert truncate_display(text) == expected
    assert len(truncate_display(text)) <= 64


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("fix-login-a1b2", True),
        ("a", True),
        ("a" * 32, True),
        ("a" * 33, False),
        ("Fix", False),
        ("fix_login", False),
        ("-fix", False),
        ("fix-", False),
        ("fix--login", False),
        ("", False),
    ],
)
def test_is_valid_name(name: str, valid: bool) -> None:
    assert is_valid_name(name) is valid


@pytest.mark.parametrize("seed", range(20))
async def test_every_generated_name_is_valid(seed: int) -> None:
    rng = random.Random(seed)
    prompt = " ".join(
        rng.choice(["Fix", "the", "über", "x" * 30, "東京", "-", "a1"]) for _ in range(8)
    )
    name, display = await generator(None, seed=seed).generate(prompt, never_taken)
    assert is_valid_name(name), name
    assert 0 < len(display) <= 64
