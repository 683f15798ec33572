"""The language stage: grammar and parser (``syntax``), syntax tree (``ast``), semantic checks (``check``)
which build the checked ``model``, and expressions (``expr``)."""
