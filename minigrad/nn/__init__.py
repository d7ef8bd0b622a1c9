"""Neural-network building blocks: ``functional`` ops, and modules (added below)."""
from minigrad.nn import functional
