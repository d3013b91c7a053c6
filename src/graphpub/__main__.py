from graphpub.cli import entry

raise SystemExit(entry())
