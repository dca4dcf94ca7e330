"""The one exception type that reaches users as a one-line message instead of a traceback."""


class UserError(Exception):
    """Bad input from a user: a flag, a file or a value. Scripts print it as one line and exit 1."""
