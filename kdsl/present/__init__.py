"""Presentation at the edge: text (``render``), HTML (``html``), widgets (``widgets``), sliders
(``explore``) and the IPython magics (``magics``)."""
