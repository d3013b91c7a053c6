from demo.main import main
from testutil import run_main


def test_greets_the_world_by_default() -> None:
    assert run_main(main, []) == (0, "Hello, world!\n")


def test_language_option() -> None:
    assert run_main(main, ["--language", "fr", "Ada"]) == (0, "Bonjour, Ada !\n")


def test_version_names_both_distributions() -> None:
    code, out = run_main(main, ["--version"])
    assert code == 0
    assert out == "demo 1.0.0 (demo-greeting 1.0.0)\n"
