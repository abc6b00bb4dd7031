"""A tiny pulumi.dynamic provider that keeps records as JSON files (engine stand-in tests)."""
