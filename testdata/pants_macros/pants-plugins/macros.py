# Component distributions, written the way StackStorm/st2's pants-plugins/macros.py writes
# them: **kwargs macros that fill in python_artifact(), dependencies and repositories.


def publish_repositories():
    """Where `publish` uploads: @pypi, unless EXAMPLE_PUBLISH_REPO names another."""
    return [env("EXAMPLE_PUBLISH_REPO", "@pypi")]


def component_license(**kwargs):
    """The component's LICENSE file, shipped in its distribution."""
    if "dest" not in kwargs:
        raise ValueError("'dest' path is required for component_license")
    resources(name="license", sources=["LICENSE"], description=f"LICENSE of {kwargs['dest']}")


def component_distribution(**kwargs):
    """A python_distribution for a component: its code is the directory named like it."""
    component = kwargs.pop("component_name", build_file_dir().name)
    scripts = kwargs.pop("scripts", [])

    component_license(dest=component)

    kwargs["provides"] = python_artifact(
        name=f"example-{component.replace('_', '-')}",
        version=VERSION,
        description=f"{component} component of the example platform",
        scripts=[s[:-6] if s.endswith(":shell") else s for s in scripts],
    )

    dependencies = kwargs.pop("dependencies", [])
    for dependency in [f"./{component}", ":license"]:
        if dependency not in dependencies:
            dependencies.append(dependency)
    kwargs["dependencies"] = dependencies
    kwargs["repositories"] = publish_repositories()

    python_distribution(**kwargs)
