"""The data stage: binding a checked model to data (``bind``): CSV files, caller data and simulations."""
