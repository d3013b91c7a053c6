# Library packages, written the way EspenAlbert/py-libs' _pants/py_package.py and
# envoyproxy/toolshed's macros write them: annotated keyword-only parameters, build_file_dir()
# as a path, setup_py() with metadata, an assert; and parametrized test fields.
from typing import Any, Optional

VERSION = "1.2.0"
CLASSIFIERS = (
    "Programming Language :: Python :: 3",
    "License :: OSI Approved :: MIT License",
)


def _canonical(name: str) -> str:
    """A distribution name as PyPI compares them."""
    return name.strip().lower().replace("_", "-").replace(".", "-")


def py_package(
    *,
    description: str,
    extra_dependencies: Optional[list[str]] = None,
    distribution_name: str = "",
    extras_require: Optional[dict[str, list[str]]] = None,
    **kwargs: Any,
) -> None:
    parent = build_file_dir()
    folder: str = parent.name
    distribution_name = distribution_name or _canonical(folder)
    assert distribution_name != folder, f"the distribution needs another name than {parent}"
    resources(name="py-typed", sources=["py.typed"])
    python_sources(dependencies=[":py-typed"])
    python_distribution(
        name=distribution_name,
        dependencies=[f":{folder}", *(extra_dependencies or [])],
        provides=setup_py(
            name=distribution_name,
            version=env("EXAMPLE_VERSION", VERSION),
            description=description,
            classifiers=CLASSIFIERS,
            extras_require=extras_require or {},
            project_urls={"Source": f"https://example.com/tree/main/{parent.parent / folder}"},
        ),
        **kwargs,
    )


def test_params() -> dict:
    """Fields for python_tests: one target per supported Python version."""
    return dict(
        interpreter_constraints=parametrize(py311=["==3.11.*"], py312=["==3.12.*"]),
        skip_mypy=True,
    )
