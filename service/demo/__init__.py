"""The living demo municipality of `jixiao seed --demo`."""
