"""Keeping the store healthy: statistics and re-embedding (`stats`), the embedding worker for memories
without vectors (`indexing`), consolidation and lifecycle rules (`consolidate`), and `doctor`."""
