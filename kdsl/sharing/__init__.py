"""Which environments share which mechanism: exact combinatorial optimisation (``optimal``)."""
