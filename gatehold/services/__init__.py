"""The AWS operations: runner.py (the one way every surface runs one), registry.py
(which function implements which operation), call.py (what a handler is handed), and
a package per AWS service, with one function per operation, named after it. Services
never see HTTP or SQL: they call the store's functions and the enforcer."""
