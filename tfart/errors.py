"""The exceptions that reach users as one line instead of a traceback."""


class UserError(Exception):
    """Bad input from a user: a flag, a file or folder it names, or a value. Commands print it as
    one line and exit 2, as for a flag that does not parse; 1 is for a run that failed."""


class UsageError(UserError):
    """Flags that contradict each other or cannot be read (a UserError, named apart for readers)."""


def first_line(error, limit=160):
    """The first line of an exception's message, at most `limit` characters (its type's name when
    the message is empty): the cause a one-line error quotes."""
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:limit]
