from functools import lru_cache
from importlib import resources

import attrs


@lru_cache(maxsize=None)
def salutations():
    """The salutations listed in the package's greetings.txt resource, in file order."""
    text = resources.files("greeter").joinpath("greetings.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@attrs.frozen
class Greeter:
    salutation: str = attrs.field(default="Hello")

    @salutation.validator
    def _known(self, attribute, value):
        if value not in salutations():
            raise ValueError(f"unknown salutation {value!r}")

    def greet(self, name):
        return f"{self.salutation}, {name}!"
