"""`jixiao simulate`: a whole fiscal year of a synthetic province through the real command path."""
