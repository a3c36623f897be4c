"""A lean launcher: fork, exec the command, wait; write its wall time, peak RSS, exit code and
CPU time (user + system).

``python -I -S bench/launch.py RESULT_FILE COMMAND...``. The benchmark process itself grows large
(it builds the backfill data), and on Linux a child's ``ru_maxrss`` starts at the memory of the
process that forked it. Forking from this tiny interpreter keeps that floor at a few MiB, so the
peak RSS reported is the measured program's own. Imports nothing outside the interpreter core.
"""

import os
import sys
import time


def main() -> int:
    """Run the command once; record ``wall_seconds peak_rss_kib exit_code cpu_seconds``."""
    result_file, command = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    with open(result_file, "w") as out:
        code = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        out.write(f"{wall!r} {usage.ru_maxrss} {code} {cpu!r}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
