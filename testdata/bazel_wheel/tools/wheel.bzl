"""The wheel of one Python package of this repository."""

load("@rules_python//python:packaging.bzl", "py_package", "py_wheel")

_CLASSIFIERS = [
    "License :: OSI Approved :: MIT License",
    "Programming Language :: Python :: 3",
]

def package_wheel(name, distribution, version, deps, classifiers = [], **kwargs):
    """Declares `<name>_pkg`, a py_package, and `<name>`, a py_wheel of it.

    The wheel holds the Python package named after the calling BUILD file's directory
    (`src/greetcli` is `src.greetcli`), with that directory's parent (`src`) stripped from the
    paths, so that the package is importable as `greetcli` once the wheel is installed.

    Args:
      name: name of the py_wheel target.
      distribution: name of the distribution on the package index.
      version: the wheel's version; may be a make variable such as "$(VERSION)".
      deps: the py_library targets whose closure the package's files are taken from.
      classifiers: Trove classifiers, in addition to the ones every wheel of ours has.
      **kwargs: passed on to py_wheel (entry_points, requires, summary, ...).
    """
    package = native.package_name()
    parent = package.rpartition("/")[0]

    py_package(
        name = name + "_pkg",
        packages = [package.replace("/", ".")],
        deps = deps,
    )

    py_wheel(
        name = name,
        author = "The Greeter Authors",
        author_email = "greeters@example.com",
        classifiers = _CLASSIFIERS + classifiers,
        distribution = distribution,
        license = "MIT",
        python_tag = "py3",
        strip_path_prefixes = [parent] if parent else [],
        version = version,
        deps = [":" + name + "_pkg"],
        **kwargs
    )
