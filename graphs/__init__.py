"""The turn graph: its assembly (`turn.py`), the runner that streams a turn (`runner.py`), and the graph's
contract with its nodes.

Imports run one way (tests/test_import_layers.py): core -> models | hardware -> memory -> jobs -> nodes
-> graphs -> server | bench. The graph's *contract modules* are the one exception: nodes are written
against them, so nodes may import them although they live here:

- `graphs.state`: `TurnState`, the state the turn carries from node to node;
- `graphs.context`: `TurnContext`, who the turn runs for, read from its config;
- `graphs.resources`: `Resources`, what outlives a turn (pool, Redis cache, embedder, models).

They are the graph's interface, so they stay with the graph (langgraph.json serves `TurnState` as its
schema; the API, worker and bench open `Resources`), and in return they sit below nodes: they import
only core, models, hardware, memory and jobs (and each other), never nodes or the rest of graphs.
Memory and jobs code below them never takes `Resources` itself: it declares the few attributes it
uses as a small protocol (`memory.cache.MemoryStores`, `memory.consolidation.ExtractionResources`,
`jobs.enqueue.PoolHolder`), which `Resources` satisfies. This package module imports nothing.
"""
