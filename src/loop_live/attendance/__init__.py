"""The attendance ledger (SPEC §14): who joined, when, for how long, and who never came."""
