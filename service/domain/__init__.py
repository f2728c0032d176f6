"""Pure rules of the domain: no database, no Flask, inputs passed in."""
