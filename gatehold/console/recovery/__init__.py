"""Root account recovery: a lost password or a lost MFA device."""
