"""The `buck2-greet` command-line tool."""
