"""Whether bzlmod is on: a canonical label starts with `@@` only then."""

BZLMOD_ENABLED = "@@" in str(Label("//:unused"))
