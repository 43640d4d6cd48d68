"""The web guide: the ASGI app, page templates, shared front-end components and jobs."""
