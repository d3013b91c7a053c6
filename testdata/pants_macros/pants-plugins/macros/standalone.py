# Plain helpers, written the way EmbarkStudios/emote's and lablup/backend.ai's preludes write
# them: a predicate BUILD files branch on, a dict of pex_binary fields to unpack, and rules
# for the calling BUILD file's package.


def is_standalone():
    return True


def common_pex_config(build_style: str, *, entry_point: str = "app.main") -> dict[str, object]:
    build_style_to_tag = {
        "lazy": "lazy",
        "eager": "fat",
    }
    return {
        "entry_point": entry_point,
        "tags": ["pex", build_style_to_tag[build_style]],
        "execution_mode": "venv",
    }


def private_component(**kwargs: object) -> None:
    """Code only its own directory and the components may use; tagged `private`."""
    allowed_dependents = kwargs.get("allowed_dependents", [])
    __dependents_rules__(
        (
            {"type": "*"},  # every target of the package
            "/**",
            allowed_dependents,
            "//components/**",
            "!*",
        )
    )
    __defaults__(all=dict(tags=["private"]))
