"""Compile lengths: each mechanism's and each program's description length (``score``)."""
