"""Stands for the repository's Pants plugin: a SetupKwargsRequest rule that reads
`version_file`, adds the project's metadata and classifiers, and the README if there is one.
graphpub cannot run it; tools/graphpub/setup_kwargs.star is its port."""
