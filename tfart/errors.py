"""The exceptions that reach users as one line instead of a traceback."""


class UserError(Exception):
    """Bad input from a user: a flag, a file or a value. Commands print it as one line and exit 1."""


class UsageError(UserError):
    """Flags that contradict each other or cannot be read: commands exit 2, as for a bad flag."""


def first_line(error, limit=160):
    """The first line of an exception's message, at most `limit` characters (its type's name when
    the message is empty): the cause a one-line error quotes."""
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:limit]
