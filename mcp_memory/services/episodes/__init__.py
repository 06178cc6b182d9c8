"""Episodes: task attempts recorded step by step with their reflections (`record`), and the patterns
that recur across them (`patterns`)."""
