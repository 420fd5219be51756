"""The command line's exit codes, shared by the command line and the app's command-line service
(which answers a forwarded command with the code the command would have exited with)."""

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
