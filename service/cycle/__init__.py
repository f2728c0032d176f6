"""The budget performance cycle around the engine: projects and launching their cycle instances."""
