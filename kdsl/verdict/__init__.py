"""Solve and judge: score every program (``solver``), margins and orientation sources (``margins``,
``equivalence``), stability over subsamples (``stability``) and the result objects (``result``)."""
