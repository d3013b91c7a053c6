# JSON keys are strings: Pants' `overrides = {("a.py", "b.py"): {...}}` crosses as "a.py\nb.py".
# Every module whose rule wrappers pass `overrides` to graphpub defines this.
def _override_keys(overrides):
    if type(overrides) != "dict":
        return overrides
    return {("\n".join(k) if type(k) == "tuple" else k): v for k, v in overrides.items()}
