"""Browser end-to-end tests of the demo (scripts/e2e), outside the legs' pytest run."""
