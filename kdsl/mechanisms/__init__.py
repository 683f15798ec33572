"""Mechanism kinds: distribution families (``families``), free tables (``tables``) and free
mechanisms of real variables (``regression``)."""
