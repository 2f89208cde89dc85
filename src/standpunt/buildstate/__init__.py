"""What the last build made, from which inputs, so that only what changed is built again."""
