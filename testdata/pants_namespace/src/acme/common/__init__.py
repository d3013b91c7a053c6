from acme.common.greeting import greet

__all__ = ["greet"]
