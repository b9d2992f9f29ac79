"""Chat-model providers (and, later, hardware profiling).

This is a top-level package because choosing, loading and sizing a model is its own concern:
it belongs neither to the graphs that call a model, nor to the nodes, the memory store or the server.
"""
