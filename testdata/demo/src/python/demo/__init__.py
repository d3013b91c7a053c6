"""The `demo` command-line tool."""
