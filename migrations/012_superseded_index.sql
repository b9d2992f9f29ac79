-- A memory's history walks `superseded_by` backwards (memory/lineage.py), and deleting a memory makes
-- PostgreSQL find the rows that name it there (ON DELETE SET NULL): both read this index instead of
-- every row of the user. Partial: most rows are current and hold NULL.

CREATE INDEX memories_superseded_by ON memories (superseded_by) WHERE superseded_by IS NOT NULL;
