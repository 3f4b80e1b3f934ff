"""The `gatehold` command: one module per subcommand (main.py builds the parser)."""
