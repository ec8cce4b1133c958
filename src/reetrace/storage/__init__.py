"""Storage: engines, schema and migrations, the ledger (log + projections in one transaction), the vault."""
