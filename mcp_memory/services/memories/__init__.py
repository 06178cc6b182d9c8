"""Memories: store, get and list (`store`), update and delete (`changes`), versions, revert and
forget (`history`), pins, batch operations and bulk selection, secret redaction on every write, and
the hint that an empty scoped answer has matches in other projects (`scope_hints`)."""
