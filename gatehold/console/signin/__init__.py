"""Console sign-in: the state machine, its steps against the store, sessions, and switch role."""
