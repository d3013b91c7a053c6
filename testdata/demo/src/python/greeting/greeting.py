from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import attrs


@lru_cache(maxsize=None)
def _translations() -> dict[str, str]:
    text = resources.files("greeting").joinpath("translations.json").read_text(encoding="utf-8")
    return json.loads(text)


def languages() -> list[str]:
    """The language codes a `Greeting` can be rendered in, sorted."""
    return sorted(_translations())


@attrs.frozen
class Greeting:
    name: str
    language: str = attrs.field(default="en")

    @language.validator
    def _check_language(self, attribute: attrs.Attribute, value: str) -> None:
        if value not in _translations():
            choices = ", ".join(languages())
            raise ValueError(f"unsupported language {value!r}: choose one of {choices}")

    def render(self) -> str:
        return _translations()[self.language].format(name=self.name)


def greet(name: str, language: str = "en") -> str:
    return Greeting(name, language).render()
