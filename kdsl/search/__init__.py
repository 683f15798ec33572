"""Structure search: local scores, the exact dynamic program, k-best and greedy (``structure``), and
the integer program (``milp``)."""
