"""Corridor's applications: the ``corridor`` command line, ``corridor up``, the regulator demo and the
supervisory report. They sit on top of everything else (bridge, oracle, supervision, the core) and
nothing below imports them."""
