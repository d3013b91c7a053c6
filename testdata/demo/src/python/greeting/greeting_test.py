import pytest

from greeting import Greeting, greet, languages


def test_english_is_the_default() -> None:
    assert greet("Pants") == "Hello, Pants!"


def test_translations_are_loaded_from_the_resource() -> None:
    assert languages() == ["de", "en", "es", "fr"]
    assert greet("Ada", "es") == "¡Hola, Ada!"


@pytest.mark.parametrize("language", ["de", "en", "es", "fr"])
def test_every_greeting_names_the_person(language: str) -> None:
    assert "Ada" in Greeting("Ada", language).render()


def test_unknown_language_is_rejected() -> None:
    with pytest.raises(ValueError, match="unsupported language 'xx'"):
        Greeting("Ada", "xx")
