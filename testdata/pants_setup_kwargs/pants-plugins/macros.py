def component_distribution(**kwargs):
    """A python_distribution whose version the release plugin reads from version_file."""
    component = kwargs.pop("component_name")
    kwargs["provides"] = python_artifact(
        name=component,
        description=f"{component} component of the example platform",
        version_file=f"{component}/__init__.py",  # read by pants-plugins/release
        zip_safe=False,
    )
    kwargs.setdefault("dependencies", []).append(f"./{component}")
    python_distribution(**kwargs)
