"""The `greet` command-line tool."""
