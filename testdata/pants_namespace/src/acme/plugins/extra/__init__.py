from acme.common import greet


def hello() -> str:
    return greet("extra")
