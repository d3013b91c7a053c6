# Plain helpers, written the way EmbarkStudios/emote's and lablup/backend.ai's preludes write
# them: a predicate BUILD files branch on, and a dict of pex_binary fields to unpack.


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
