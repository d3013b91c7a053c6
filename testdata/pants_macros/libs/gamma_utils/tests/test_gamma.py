import gamma_utils


def test_docstring() -> None:
    assert gamma_utils.__doc__
