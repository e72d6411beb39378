"""One module per `labkit` sub-command (see labkit.cli)."""
