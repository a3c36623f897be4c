"""Watching after a deploy: the round policy (pure) and running rounds as child pytest processes."""
