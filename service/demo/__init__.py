"""The living demo municipality of `jixiao seed --demo` (issue 4, part 6)."""
