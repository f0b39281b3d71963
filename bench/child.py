"""One measurement, alone in a fresh process: `python -m bench.child TASK PARAMS LIMIT RESULT`.

Input: a task name from `tasks.TASKS`, its parameters as JSON, the time limit in seconds ("" for
none) and the path to write the result to. Output: that file holds {"status": "ok", "samples": [...],
...the task's counts} or {"status": "timeout" | "too large" | "not built" | "not installed" | "error", "reason":
...}. The parent reads
peak memory from the operating system when this process ends, so nothing here measures memory.
"""

from __future__ import annotations

import json
import sys
import traceback

from .clock import Clock, Timeout, TooLarge, write_result
from .tasks import TASKS, NotBuilt, NotInstalled


def main(argv: list[str]) -> int:
    task_name, params_json, limit_text, result_path = argv
    limit = float(limit_text) if limit_text else None
    clock = Clock(limit, result_path)
    try:
        extra = TASKS[task_name](json.loads(params_json), clock)
    except NotBuilt as e:
        write_result(result_path, {"status": "not built", "reason": str(e)})
        return 0
    except NotInstalled as e:
        write_result(result_path, {"status": "not installed", "reason": str(e)})
        return 0
    except Timeout as e:
        write_result(result_path, {"status": "timeout", "seconds": limit, "reason": str(e)})
        return 0
    except TooLarge as e:
        write_result(result_path, {"status": "too large", "reason": str(e)})
        return 0
    except Exception as e:  # a bench row must report, never take the whole bench down
        traceback.print_exc()
        write_result(result_path, {"status": "error", "reason": f"{type(e).__name__}: {e}"})
        return 1
    write_result(result_path, {"status": "ok", "samples": clock.samples, **extra})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
