"""palfleet: declarative reconciliation of Tavus PAL fleets."""

__version__ = "0.1.0"
