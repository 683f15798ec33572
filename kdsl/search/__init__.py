"""Structure search: local scores, edge rules and pruning bounds (``local``), the exact dynamic program and
k-best (``exact``), greedy search (``greedy``), the integer program (``milp``), and running a search block
(``run``)."""
