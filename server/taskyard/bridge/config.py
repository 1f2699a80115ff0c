"""The bridge's settings, as parsed from its command line and environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "[::1]")


@dataclass
class BridgeConfig:
    """Everything one bridge needs to run one agent."""

    agent_type: str
    argv: list[str]
    token: str
    host: str = "127.0.0.1"
    port: int = 3284
    columns: int = 100
    rows: int = 40
    state_file: str | None = None
    initial_prompt: str = ""
    session_id: str = ""
    workdir: str = field(default_factory=os.getcwd)
    runtime_dir: str = ""
    allowed_hosts: list[str] = field(default_factory=lambda: list(DEFAULT_HOSTS))
    max_upload: int = 10 * 1024 * 1024
    ready_file: str | None = None
    window: float = 0.0  # 0: the adapter's own stability window
    idle_timeout: float = 0.0  # seconds idle before the bridge pauses itself; 0: never
    submit_timeout: float = 15.0  # how long a typed message may take to be taken
    agent_env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def upload_dir(self) -> str:
        return os.path.join(self.runtime_dir, "uploads")
