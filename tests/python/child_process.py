"""A child process for the Python client's tests: a node that prints its endpoint."""

import subprocess


class ChildProcess:
    """Starts `args`, reads stdout up to the line starting with `marker` and keeps the rest of
    that line as `endpoint`; killed on every exit path (close, or use it as a context manager)."""

    def __init__(self, args, marker):
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        try:
            self.endpoint = None
            for line in self.proc.stdout:
                if line.startswith(marker):
                    self.endpoint = line[len(marker):].strip()
                    break
            if not self.endpoint:
                raise RuntimeError(f"{args[0]} printed no endpoint: {self.proc.stderr.read()}")
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
