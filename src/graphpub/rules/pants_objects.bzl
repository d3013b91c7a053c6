# Pants' BUILD-file objects beyond python_artifact: the values some fields take
# (src/python/pants/**/register.py build_file_aliases objects). graphpub keeps them as data.

# A file fetched from a URL: graphpub builds nothing from it, and keeps its URL as the source.
def http_source(url, len = None, sha256 = None, filename = ""):
    return url

# The value for the platform graphpub runs on.
def per_platform(linux_arm64 = None, linux_x86_64 = None, macos_arm64 = None, macos_x86_64 = None):
    host = host_info()
    if host.os.is_macos:
        return macos_arm64 if host.arch.is_aarch64 else macos_x86_64
    return linux_arm64 if host.arch.is_aarch64 else linux_x86_64

def jvm_exclude(group, artifact = None):
    return {"group": group, "artifact": artifact}

def scala_exclude(group, artifact = None, crossversion = "binary"):
    return {"group": group, "artifact": artifact, "crossversion": crossversion}

def duplicate_rule(pattern, action):
    return {"pattern": pattern, "action": action}

def shading_keep(pattern):
    return {"keep": pattern}

def shading_rename(pattern, replacement):
    return {"rename": pattern, "replacement": replacement}

def shading_relocate(package, into = None):
    return {"relocate": package, "into": into}

def shading_zap(pattern):
    return {"zap": pattern}

def node_build_script(entry_point, **kwargs):
    return dict(entry_point = entry_point, **kwargs)

def node_run_script(entry_point, **kwargs):
    return dict(entry_point = entry_point, **kwargs)

def node_test_script(entry_point = "test", **kwargs):
    return dict(entry_point = entry_point, **kwargs)

def stevedore_namespace(value):
    return value
