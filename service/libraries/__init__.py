"""The plan's libraries: indicators, experts, third-party agencies, supervision (DOMAIN.md, Libraries)."""
