def vendored(name, deps = []):
    native.prebuilt_python_library(
        name = name,
        binary_src = "{}.whl".format(name),
        deps = deps,
        labels = [read_config("shim", "flavor", "vendored")],
    )
