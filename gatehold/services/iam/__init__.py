"""AWS IAM: one module per group of operations (users.py, roles.py, policies.py ...),
each declaring its HANDLERS; left_out.py names the operations not built, with why."""
