"""Greetings, with a message of the day."""

from greetlib.core import Greeter, message_of_the_day

__all__ = ["Greeter", "message_of_the_day"]
