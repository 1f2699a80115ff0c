"""Task names as Coder generates them (``coderd/taskname``), for tasks created without one.

Three strategies, in order: ask Claude for a short name when an Anthropic key is configured;
else take the prompt's first words; else pick a random Docker-style "adjective-noun". Any
failure of the first (no key, HTTP error, timeout, unparsable or rule-breaking answer) falls
through to the second, so naming never fails a task and never waits more than a few seconds.
Every name then gets a random ``-xxxx`` suffix (4 hex digits), which keeps it unique and
within 32 characters. Names a user gives explicitly are validated by the caller, not here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import httpx

__all__ = [
    "ANTHROPIC_VERSION",
    "MAX_BASE_LENGTH",
    "MAX_DISPLAY_LENGTH",
    "MAX_NAME_LENGTH",
    "SYSTEM_PROMPT",
    "NameGenerator",
    "NamesExhausted",
    "TaskName",
    "is_valid_name",
    "name_from_prompt",
    "truncate_display",
]

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 32
MAX_BASE_LENGTH = MAX_NAME_LENGTH - len("-xxxx")
MAX_DISPLAY_LENGTH = 64
ANTHROPIC_VERSION = "2023-06-01"
MAX_TOKENS = 100
# Naming needs only the gist: a long prompt would cost tokens and time for nothing.
MAX_PROMPT_CHARS = 4000
_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_WORD = re.compile(r"[a-z0-9]+")
_APOSTROPHES = str.maketrans("", "", "'\u2019")
_PLACEHOLDERS = {"task-unnamed", "task unnamed"}

SYSTEM_PROMPT = """\
You name coding tasks. From the user's task prompt, write a short task name and a display name \
that both describe the main action and its subject, and that resemble each other.

task_name: lowercase letters, digits and single hyphens only; at most 27 characters.
display_name: readable by a human; at most 64 characters.

Answer with one JSON object and nothing else:
{"task_name": "<task_name>", "display_name": "<display_name>"}

Example: "Help me fix the flaky login test" ->
{"task_name": "fix-flaky-login-test", "display_name": "Fix flaky login test"}
Example: "Add dark mode to the settings page" ->
{"task_name": "settings-dark-mode", "display_name": "Dark mode for settings page"}

If no sensible name exists, answer {"task_name": "task-unnamed", "display_name": "Task Unnamed"}.
"""

_ADJECTIVES = (  # noqa: SIM905 -- as a list literal, one word a line: 100 lines
    "admiring agitated amazing angry awesome blissful bold boring brave busy charming clever "
    "compassionate competent confident cool cranky dazzling determined distracted dreamy eager "
    "ecstatic elastic elated elegant eloquent epic fervent festive flamboyant focused friendly "
    "frosty funny gallant gifted goofy gracious great happy hardcore heuristic hopeful hungry "
    "infallible inspiring intelligent interesting jolly jovial keen kind laughing loving lucid "
    "magical modest musing mystifying naughty nervous nice nifty nostalgic objective optimistic "
    "peaceful pedantic pensive practical priceless quirky quizzical relaxed reverent romantic "
    "serene sharp silly sleepy stoic strange stupefied suspicious sweet tender thirsty trusting "
    "unruffled upbeat vibrant vigilant vigorous wizardly wonderful xenodochial youthful zealous "
    "zen"
).split()
_NOUNS = (  # noqa: SIM905 -- as above
    "agnesi albattani allen almeida archimedes ardinghelli babbage banach bardeen bartik bassi "
    "bell benz bhabha bose brahmagupta brown burnell cannon carson cerf chandrasekhar clarke "
    "colden cori curie darwin davinci dijkstra dubinsky easley einstein elion engelbart euclid "
    "euler faraday fermat fermi feynman franklin galileo gates goldberg goodall hamilton hawking "
    "heisenberg hertz hodgkin hopper hypatia jackson jennings johnson kalam kapitsa keller "
    "kepler khorana kilby knuth lamarr lamport leakey lovelace lumiere margulis mayer mccarthy "
    "mclean meitner mendel mirzakhani morse murdock napier newton nobel noether pascal pasteur "
    "perlman pike poincare ptolemy raman ramanujan ride ritchie rosalind saha shannon shaw "
    "shockley sinoussi snyder stonebraker swartz tesla thompson torvalds turing varahamihira "
    "villani wescoff wiles williams wilson wing wozniak wright yalow yonath"
).split()


class TaskName(NamedTuple):
    """A generated task name and its human-friendly title."""

    name: str
    """Unique handle: ``[a-z0-9-]``, at most 32 characters, ending in ``-xxxx``."""
    display_name: str
    """Title, at most 64 characters."""


class NamesExhausted(Exception):
    """Every suffix tried for a name was taken."""

    def __init__(self, base: str, attempts: int) -> None:
        self.base = base
        super().__init__(f"no free name for '{base}' after {attempts} attempts")


def is_valid_name(name: str) -> bool:
    """Whether ``name`` is a valid task name: ``[a-z0-9]`` words joined by single hyphens, ≤ 32."""
    return len(name) <= MAX_NAME_LENGTH and bool(_NAME.match(name))


def truncate_display(text: str) -> str:
    """``text`` on one line, cut on a word boundary to at most 64 characters with '…'."""
    text = " ".join(text.split())
    if len(text) > MAX_DISPLAY_LENGTH:
        cut = text[: MAX_DISPLAY_LENGTH - 1]
        space = cut.rfind(" ")
        # A single word longer than the limit is cut mid-word, as Coder does.
        text = (cut[:space] if space > 0 else cut).rstrip() + "…"
    return text[:1].upper() + text[1:]


def name_from_prompt(prompt: str) -> tuple[str, str] | None:
    """(name base, display name) from the prompt's first words; None if it has no [a-z0-9]."""
    words = _WORD.findall(_fold(prompt))
    if not words:
        return None
    base = words[0][:MAX_BASE_LENGTH]
    for word in words[1:]:
        if len(base) + 1 + len(word) > MAX_BASE_LENGTH:
            break
        base = f"{base}-{word}"
    return base, truncate_display(prompt) or base.replace("-", " ")


def _fold(text: str) -> str:
    """Lower case, accents stripped ("Übersicht" → "ubersicht"), apostrophes dropped.

    Without this, every non-ASCII letter would become a word break ("über" → "ber"), and
    "don't" two words ("don-t").
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_APOSTROPHES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _parse_reply(body: Any) -> tuple[str, str]:
    """(name base, display name) from a Messages API response; ValueError if unusable."""
    text = "".join(b.get("text", "") for b in body["content"] if b.get("type") == "text")
    # Models sometimes wrap the JSON in a code fence despite the instructions.
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object in the reply")
    answer = json.loads(text[start : end + 1])
    name = str(answer["task_name"]).strip()
    display = " ".join(str(answer["display_name"]).split())
    if len(name) > MAX_BASE_LENGTH or not _NAME.match(name) or name in _PLACEHOLDERS:
        raise ValueError(f"unusable task name {name!r}")
    if not display or display.lower() in _PLACEHOLDERS:
        raise ValueError(f"unusable display name {display!r}")
    return name, truncate_display(display)


def _describe(error: Exception) -> str:
    # Status and type only: bodies and messages could echo the request, key header included.
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    return type(error).__name__


class NameGenerator:
    """Generates unique task names from prompts.

    Parameters
    ----------
    http:
        The client for the Anthropic API; None disables LLM naming.
    api_key_provider:
        Returns the Anthropic API key, or None when none is configured; asked on every call, so
        a key set after start-up is used.
    rng:
        Source of suffixes and random names (seeded in tests).
    model, base_url:
        The Anthropic model and API root.
    timeout:
        Seconds the LLM gets, overall, before the prompt's words are used instead.
    attempts:
        How many suffixes to try before giving up with :class:`NamesExhausted`.
    """

    def __init__(
        self,
        http: httpx.AsyncClient | None,
        api_key_provider: Callable[[], Awaitable[str | None]],
        rng: random.Random,
        model: str = "claude-3-5-haiku-latest",
        base_url: str = "https://api.anthropic.com",
        *,
        timeout: float = 5.0,
        attempts: int = 16,
    ) -> None:
        self._http = http
        self._api_key = api_key_provider
        self._rng = rng
        self._model = model
        self._url = base_url.rstrip("/") + "/v1/messages"
        self._timeout = timeout
        self._attempts = attempts

    async def generate(self, prompt: str, taken: Callable[[str], Awaitable[bool]]) -> TaskName:
        """A name no task has (per ``taken``) and a display name for a task with this prompt."""
        base, display = await self._from_llm(prompt) or name_from_prompt(prompt) or self._random()
        for _ in range(self._attempts):
            name = f"{base}-{self._rng.getrandbits(16):04x}"
            if not await taken(name):
                return TaskName(name, display)
        raise NamesExhausted(base, self._attempts)

    def _random(self) -> tuple[str, str]:
        base = f"{self._rng.choice(_ADJECTIVES)}-{self._rng.choice(_NOUNS)}"[:MAX_BASE_LENGTH]
        base = base.rstrip("-")
        return base, truncate_display(base.replace("-", " "))

    async def _from_llm(self, prompt: str) -> tuple[str, str] | None:
        if self._http is None or not prompt.strip():
            return None
        try:
            # The key lookup is inside the deadline too: a locked keyring can wait for a user.
            async with asyncio.timeout(self._timeout):
                key = await self._api_key()
                return await self._ask(self._http, key, prompt) if key else None
        except Exception as exc:  # any failure means "name it from the prompt instead"
            logger.info("LLM task naming failed (%s); naming from the prompt", _describe(exc))
            return None

    async def _ask(self, http: httpx.AsyncClient, key: str, prompt: str) -> tuple[str, str]:
        response = await http.post(
            self._url,
            headers={"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION},
            json={
                "model": self._model,
                "max_tokens": MAX_TOKENS,
                "system": SYSTEM_PROMPT,
                "messages": [{"role": "user", "content": prompt[:MAX_PROMPT_CHARS]}],
            },
            timeout=self._timeout,
        )
        response.raise_for_status()
        return _parse_reply(response.json())
