"""One module per subcommand: `add_arguments(parser)` and `run(args) -> int`.

Commands are thin: parse, make one library call, print, pick the exit code. To add a command,
write a module here and list its name and help in `tokenbook.cli.COMMANDS`.
"""
