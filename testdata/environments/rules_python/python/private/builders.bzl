"""rules_python's private helpers (rule builders, name helpers): code of its own that its
BUILD files and tests load, evaluated as written (only its public rules are graphpub's)."""

def _Wheel_new(distribution):
    self = struct(
        distribution = distribution,
        tags = [],
        add_tag = lambda tag: self.tags.append(tag),
    )
    return self

wheelb = struct(Wheel = _Wheel_new)
