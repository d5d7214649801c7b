"""The two ways a job ends badly; `__main__` maps them to exit codes 2 and 1."""


class BadInput(Exception):
    """The job's input cannot work (missing file, not audio, unknown model): exit 2, no retry helps."""


class JobFailed(Exception):
    """The job could run but did not finish (decoder crash, download failure): exit 1, a retry may help."""
