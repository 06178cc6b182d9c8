"""Memories: store, get and list (`store`), update and delete (`changes`), versions, revert and
forget (`history`), pins, batch operations and bulk selection, and secret redaction on every write."""
