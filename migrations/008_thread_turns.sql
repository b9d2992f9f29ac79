-- A thread's committed turns, counted by the turn that commits them (nodes/persist.py). A turn reads the
-- count when it loads the thread and commits only if it is unchanged (compare-and-set under the row's lock):
-- two turns on one thread can never both commit, whether the Redis turn lock was there or not.
ALTER TABLE threads ADD COLUMN turns bigint NOT NULL DEFAULT 0;
