"""Read-side queries: they read derived rows and never deserialize workflows."""
