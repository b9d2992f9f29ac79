"""What the API process holds for its lifetime: resources, the compiled turn graph, local mode."""

from __future__ import annotations

from dataclasses import dataclass, field

from langgraph.graph.state import CompiledStateGraph

from core.config import Settings
from core.tasks import TaskSet
from graphs.resources import Resources, open_resources, shared_resources
from graphs.turn import build_turn_graph
from memory.db import tenant_connection
from memory.users import Principal, ensure_user
from server.turn_lock import TurnLocks


@dataclass
class AppRuntime:
    resources: Resources
    graph: CompiledStateGraph
    local_principal: Principal | None = None
    owns_resources: bool = True
    turns: TaskSet = field(default_factory=TaskSet)  # running turns, detached from their requests
    locks: TurnLocks = field(init=False)  # one turn at a time per thread, across processes

    def __post_init__(self) -> None:
        settings = self.resources.settings
        self.locks = TurnLocks(self.resources.redis, ttl_seconds=settings.turn_lock_ttl_seconds,
                               wait_seconds=settings.turn_wait_seconds)

    @classmethod
    async def build(cls, resources: Resources, settings: Settings, owns: bool) -> AppRuntime:
        """On given resources (`owns`: close them with the runtime)."""
        graph = build_turn_graph(resources).compile(checkpointer=resources.checkpointer, name="mnemo-turn")
        local = None
        if settings.local_mode:
            local = Principal(settings.local_tenant, settings.local_user)
            async with tenant_connection(resources.pool, local.tenant_id) as conn:
                await ensure_user(conn, tenant_id=local.tenant_id, user_id=local.user_id)
        return cls(resources, graph, local, owns)

    @classmethod
    async def open(cls, settings: Settings, *, warm_model: bool = False) -> AppRuntime:
        return await cls.build(await open_resources(settings, warm_model=warm_model), settings, True)

    @classmethod
    async def shared(cls, settings: Settings) -> AppRuntime:
        """On the process-wide resources (when mounted inside the LangGraph server)."""
        return await cls.build(await shared_resources(), settings, False)

    async def close(self) -> None:
        await self.turns.drain(self.resources.settings.shutdown_grace_seconds)
        if self.owns_resources:
            await self.resources.close()
