"""Which environments share which mechanism, exactly, for every number k of distinct mechanisms: template slots
(``selection``), free tables (``partitions``), the results they return (``profiles``), their tie-breaking
(``ties``) and sets of environments as bit masks (``subsets``). The public functions are re-exported here
(``kdsl.sharing.best_partition_by_k``, ...)."""

from kdsl.sharing.partitions import (
    PARTITION_ENUMERATE_MAX,
    best_partition_by_k,
    best_partitions_by_k,
    greedy_partition_by_k,
    least_partition_bits,
)
from kdsl.sharing.profiles import METHODS, CoupledProfile, PartitionProfile, SelectionProfile
from kdsl.sharing.selection import best_coupled_selection, best_selection_by_k

__all__ = [
    "best_selection_by_k",
    "best_coupled_selection",
    "best_partition_by_k",
    "best_partitions_by_k",
    "least_partition_bits",
    "greedy_partition_by_k",
    "PARTITION_ENUMERATE_MAX",
    "METHODS",
    "SelectionProfile",
    "CoupledProfile",
    "PartitionProfile",
]
