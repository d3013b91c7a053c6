"""Stands for the repository's setupgen plugin (a SetupKwargsRequest rule): single-sourced
VERSION, python_requires from the interpreter constraints, standard classifiers by release
stage and license, the README as long description. tools/graphpub/setupgen.star is its port."""
