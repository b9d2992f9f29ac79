"""Who a turn runs for, read from `config["configurable"]` in one place (nodes never poke the dict).

Under the LangGraph server the authenticated key's owner (`langgraph_auth_user`, set by
`server.langgraph_auth`) wins over the `tenant_id`/`user_id` a client may put in its config.

A contract module of the graph (see graphs/__init__.py): nodes import it, so it imports nothing above
jobs/.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.runnables import RunnableConfig

DEFAULT_TENANT = "default"
DEFAULT_USER = "local"


@dataclass(frozen=True)
class TurnContext:
    tenant_id: str
    user_id: str
    thread_id: str
    agent: str | None = None  # an explicit agent request; None lets the route rules choose

    @classmethod
    def from_config(cls, config: RunnableConfig) -> TurnContext:
        conf = config.get("configurable", {}) if config else {}
        thread_id = conf.get("thread_id")
        if not thread_id:
            raise ValueError("a turn needs config.configurable.thread_id")
        owner = conf.get("langgraph_auth_user")
        if owner is not None and owner.get("tenant_id"):
            conf = {**conf, "tenant_id": owner.get("tenant_id"), "user_id": owner.get("user_id")}
        return cls(
            tenant_id=str(conf.get("tenant_id") or DEFAULT_TENANT),
            user_id=str(conf.get("user_id") or DEFAULT_USER),
            thread_id=str(thread_id),
            agent=conf.get("agent") or None,
        )
