"""SpiffWorkflow behind one narrow interface: parse/validate, start, act, timers."""
