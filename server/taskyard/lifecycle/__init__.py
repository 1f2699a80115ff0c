"""A task's lifecycle as types and one table: phases, statuses, agent states, transitions.

:mod:`.states` holds the enums and the records the store keeps; :mod:`.table` the transition
table, the status derivation and the allowed actions; :mod:`.diagram` draws the table for
``docs/ARCHITECTURE.md``. Nothing here does I/O: the task engine applies what the table says.
"""

from .states import (
    TRANSIENT,
    Action,
    AgentCondition,
    AgentReport,
    AgentState,
    BridgeLink,
    Owner,
    Phase,
    Presence,
    ProviderName,
    StateSource,
    TaskFailure,
    TaskStatus,
    WorkspaceRecord,
)
from .table import (
    TABLE,
    Effect,
    Event,
    Facts,
    Guard,
    Row,
    allowed_actions,
    derive_status,
    lookup,
    rows_for,
    settle_agent,
)

__all__ = [
    "TABLE",
    "TRANSIENT",
    "Action",
    "AgentCondition",
    "AgentReport",
    "AgentState",
    "BridgeLink",
    "Effect",
    "Event",
    "Facts",
    "Guard",
    "Owner",
    "Phase",
    "Presence",
    "ProviderName",
    "Row",
    "StateSource",
    "TaskFailure",
    "TaskStatus",
    "WorkspaceRecord",
    "allowed_actions",
    "derive_status",
    "lookup",
    "rows_for",
    "settle_agent",
]
