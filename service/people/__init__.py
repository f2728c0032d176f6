"""Who is who: departments, users and roles, passwords and tokens, the seed file."""
