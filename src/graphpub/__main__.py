from graphpub.cli import main

raise SystemExit(main())
