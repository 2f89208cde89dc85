"""What `check` verifies across files, returned as a report."""
