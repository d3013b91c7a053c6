"""graphpub: publish Python distributions out of any monorepo, driven by its BUILD files."""

__version__ = "0.1.0"
