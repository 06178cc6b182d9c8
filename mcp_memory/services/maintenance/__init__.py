"""Keeping the store healthy: statistics and re-embedding (`stats`), the embedding worker for memories
without vectors (`indexing`), consolidation and lifecycle rules (`consolidate`, which merges only when
one memory's facts are contained in the other's: `memories.fact_containment`), and `doctor`."""
