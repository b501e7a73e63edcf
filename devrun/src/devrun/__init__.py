"""Local mode: every bizmall app as a process on localhost (``make dev``)."""
