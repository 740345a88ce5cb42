from tokenbook.commands.launch import main

raise SystemExit(main())
