"""One module per subcommand: `NAME`, `HELP`, `add_arguments(parser)`, `run(args) -> int`.

Commands are thin: parse, make one library call, print, pick the exit code. To add a command,
write a module here and list it in `tokenbook.cli.COMMANDS`.
"""
