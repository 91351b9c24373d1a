"""Browser end-to-end tests of the scripts/develop demo (run by scripts/e2e)."""
