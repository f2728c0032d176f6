"""Rule rows and the working-day calendar: seeded from versioned files, read by year and level."""
