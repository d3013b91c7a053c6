"""Greetings in a handful of languages."""

from greeting.greeting import Greeting, greet, languages

__all__ = ["Greeting", "greet", "languages"]
__version__ = "1.0.0"
