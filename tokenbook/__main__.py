from tokenbook.cli import main

raise SystemExit(main())
