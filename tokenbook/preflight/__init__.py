"""Pre-flight: what a context will cost before it is sent, and what to cut from it."""
