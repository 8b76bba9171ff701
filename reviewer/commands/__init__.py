"""One module per command; each exposes functions that take the parsed arguments and
return an exit code. ``reviewer.cli`` parses the command line and imports only the
command that runs; ``common`` holds what several commands share."""
