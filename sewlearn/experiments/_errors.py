# License: BSD 3 clause
"""The errors of the experiment commands."""


class UsageError(ValueError):
    """A bad argument or input of a command, found before the first fit.

    The command line prints its message as one line and exits with status 2.
    """


class TaskFailedError(RuntimeError):
    """A task of a run failed; the message names the task.

    Parameters
    ----------
    task : object
        The task; its ``name`` attribute (or its ``str``) names it.
    exc : Exception
        What the task raised.
    command : str, default="sewlearn"
        The command, at the start of the message.
    """

    def __init__(self, task, exc, command="sewlearn"):
        self.task = task
        name = getattr(task, "name", task)
        super().__init__(
            f"{command}: the run '{name}' failed: {type(exc).__name__}: {exc}"
        )
