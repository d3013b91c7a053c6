"""Greetings, picked from a list shipped with the package."""

from greeter.core import Greeter, salutations

__all__ = ["Greeter", "salutations"]
