"""The running daemon: composition root, device supervision, commands, signals and systemd."""
