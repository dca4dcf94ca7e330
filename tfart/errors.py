"""The exceptions that reach users as one line instead of a traceback."""


class UserError(Exception):
    """Bad input from a user: a flag, a file or a value. Commands print it as one line and exit 1."""


class UsageError(UserError):
    """Flags that contradict each other or cannot be read: commands exit 2, as for a bad flag."""
