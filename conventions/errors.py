"""User errors: anything the person running Vigie can fix. The CLI prints them on one line and exits 2."""


class UserError(Exception):
    """`str()` is the whole message; no traceback is shown."""
