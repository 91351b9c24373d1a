"""The development instance: provisioning for scripts/develop."""
