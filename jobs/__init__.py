"""The durable job queue (procrastinate on Mnemo's PostgreSQL) for background memory work.

A top-level package, not part of `server/` or `memory/`: the API and the turn graph enqueue jobs,
`mnemo worker` processes run them, and neither side should import the other to reach the queue.
"""
