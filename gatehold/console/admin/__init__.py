"""Administration pages: users, groups, roles, policies, account settings."""
