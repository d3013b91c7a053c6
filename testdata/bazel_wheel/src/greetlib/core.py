try:
    from importlib.resources import files
except ImportError:  # Python 3.8: the wheel requires the backport there.
    from importlib_resources import files

import attrs


@attrs.define(frozen=True)
class Greeter:
    salutation: str = "Hello"
    punctuation: str = "!"

    def greet(self, name: str) -> str:
        return f"{self.salutation}, {name}{self.punctuation}"


def message_of_the_day() -> str:
    """The message of the day, shipped in the package as data/motd.txt."""
    motd = files("greetlib") / "data" / "motd.txt"
    return motd.read_text(encoding="utf-8").strip()
