"""Background work: jobs that make time pass for waiting instances (`jixiao timers fire` runs them once)."""
