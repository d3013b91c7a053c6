"""Pants' default module mapping as graphpub's catalog holds it (`rules.module_mapping`)."""

from __future__ import annotations

import re
import sys
from importlib import resources

import pytest
from packaging.utils import canonicalize_name

from graphpub.rules.module_mapping import ProvidedModules, default_modules

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


@pytest.mark.parametrize(
    ("name", "provided"),
    [
        # The mapping, by the PEP 503 name.
        ("PyYAML", ProvidedModules(("yaml",))),
        ("Pillow", ProvidedModules(("PIL",))),
        ("setuptools", ProvidedModules(("easy_install", "pkg_resources", "setuptools"))),
        ("types-PyYAML", ProvidedModules(("yaml",), type_stubs=True)),
        # Pants' own examples of its patterns.
        ("azure-foo-bar", ProvidedModules(("azure.foo.bar",))),
        ("django-admin-cursor-paginator", ProvidedModules(("admin_cursor_paginator",))),
        (
            "google-cloud-foo-bar",
            ProvidedModules(
                (
                    "google.cloud.foobar",
                    "google.cloud.foobar_v1",
                    "google.cloud.foobar_v2",
                    "google.cloud.foobar_v3",
                )
            ),
        ),
        (
            "opentelemetry-instrumentation-aws-lambda",
            ProvidedModules(("opentelemetry.instrumentation.aws_lambda",)),
        ),
        ("oslo.config", ProvidedModules(("oslo_config",))),
        ("python-Levenshtein", ProvidedModules(("Levenshtein",))),
        ("python-slugify", ProvidedModules(("slugify",))),
        (
            "apache-airflow-providers-cncf-kubernetes",
            ProvidedModules(("airflow.providers.cncf.kubernetes",)),
        ),
        # Stub patterns, before the code patterns; the text after the match stays (re.sub).
        ("django-stubs", ProvidedModules(("django",), type_stubs=True)),
        ("stubs-foo-bar", ProvidedModules(("foo_bar",), type_stubs=True)),
        ("boto3_stubs", ProvidedModules(("boto3",), type_stubs=True)),
        ("foo-stubs-ext", ProvidedModules(("foo-ext",), type_stubs=True)),
        # Else the name as written, lowercased, `-` as `_`, a `.` kept.
        ("ruamel.yaml", ProvidedModules(("ruamel.yaml",))),
        (" Foo_Bar-Baz ", ProvidedModules(("foo_bar_baz",))),
    ],
)
def test_default_modules(name: str, provided: ProvidedModules) -> None:
    assert default_modules(name) == provided


def test_catalog_is_pants_shape() -> None:
    """Keys are PEP 503 names, sorted, as Pants requires of its own; every pattern compiles and
    its modules only name groups it has."""
    text = resources.files("graphpub.rules").joinpath("catalogs/python_modules.toml")
    document = tomllib.loads(text.read_text("utf-8"))
    assert set(document) == {"modules", "type_stub_modules", "type_stub_patterns", "patterns"}
    for table in ("modules", "type_stub_modules"):
        keys = list(document[table])
        assert keys == sorted(keys)
        assert all(canonicalize_name(key) == key for key in keys)
        assert all(modules for modules in document[table].values())
    for table in ("type_stub_patterns", "patterns"):
        for entry in document[table]:
            groups = re.compile(entry["project"]).groups
            for template in entry["modules"]:
                named = [int(n) for n in re.findall(r"\{(\d+):[._]?\}", template)]
                assert named and max(named) <= groups, (entry, template)
