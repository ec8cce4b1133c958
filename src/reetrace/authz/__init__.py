"""Accounts, tenants, roles and permissions, sessions and API tokens, and the audit of reads and denials."""
