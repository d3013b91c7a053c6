"""The rules of each dialect that build files call without a `load()`.

Until a rule has a schema, it is known by name only and makes a target of its kind with its
`deps` / `dependencies` as edges, so that whole real repositories load.
"""

from __future__ import annotations

PANTS_RULES = (
    "python_sources",
    "python_source",
    "python_tests",
    "python_test",
    "python_test_utils",
    "python_requirement",
    "python_requirements",
    "poetry_requirements",
    "pipenv_requirements",
    "python_distribution",
    "pex_binary",
    "pex_binaries",
    "resources",
    "resource",
    "files",
    "file",
    "relocated_files",
    "target",
    "shell_sources",
    "shell_source",
    "shell_command",
    "run_shell_command",
    "docker_image",
    "archive",
)

BAZEL_RULES = (
    "py_library",
    "py_binary",
    "py_test",
    "py_wheel",
    "py_package",
    "py_runtime",
    "py_runtime_pair",
    "filegroup",
    "alias",
    "genrule",
    "config_setting",
    "package_group",
    "test_suite",
    "sh_binary",
    "sh_library",
    "sh_test",
    "cc_library",
    "cc_binary",
    "cc_test",
    "java_library",
    "java_binary",
    "java_test",
    "proto_library",
)

BUCK2_RULES = (
    "python_library",
    "python_binary",
    "prebuilt_python_library",
    "python_wheel",
    "cxx_python_extension",
    "export_file",
    "remote_file",
    "http_archive",
    "genrule",
    "cxx_library",
    "cxx_binary",
)

ALL_RULES = tuple(dict.fromkeys((*PANTS_RULES, *BAZEL_RULES, *BUCK2_RULES)))

# Helpers whose result is a value for a field, such as `provides=python_artifact(...)`.
VALUE_HELPERS = ("python_artifact", "setup_py")
