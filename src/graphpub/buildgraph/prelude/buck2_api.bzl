# Buck2's .bzl globals that have to behave for BUCK files and macros to load: configuration
# reads, package introspection, small helpers. Types (AnalysisContext, Artifact, ...), attrs,
# bxl and the rest stand in as their file uses them (bzl_globals.txt). rule(), provider(),
# record(), enum() are shared with Bazel's API or starlark's own.

def read_root_config(section, key, default = None):
    return read_config(section, key, default)

def rule_exists(name):
    return native.existing_rule(name) != None

def get_base_path():
    return package_name()

# select() resolves at once here (to the branch the conditions choose): a value is never a
# pending selector, so select_map and select_test apply their function to it, as Buck2 does to
# each branch.
def select_map(selector, func):
    return func(selector)

def select_test(selector, func):
    return func(selector)

def implicit_package_symbol(name, default = None):
    return default

def read_package_value(key):
    return None

def read_parent_package_value(key):
    return None

def write_package_value(key, value, overwrite = False):
    return None

def dedupe(items):
    seen = {}
    for item in items:
        seen[item] = True
    return list(seen.keys())

def namespace(**kwargs):
    return struct(**kwargs)

def transitive_set(**kwargs):
    return typing.Any

def warning(message):
    print("WARNING: " + str(message))

def soft_error(category, message, **kwargs):
    return None

def fail_no_stacktrace(*args):
    fail(*args)

def set_cfg_constructor(**kwargs):
    return None

def set_modifiers(modifiers):
    return None

def set_starlark_peak_allocated_byte_limit(value):
    return None

def pstr(value):
    return str(value)

def prepr(value):
    return repr(value)

def set(items = []):
    return dedupe(list(items))

# prelude/toolchains/demo.bzl: of the demo toolchains, the one graphpub reads: python_wheel's,
# whose tags a python_wheel takes when it names none.
def system_demo_toolchains():
    system_python_wheel_toolchain(name = "python_wheel", visibility = ["PUBLIC"])
