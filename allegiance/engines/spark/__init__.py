"""The Spark engine (an optional extra: pip install 'allegiance[spark]'): engine.py evaluates,
dialect.py carries the DuckDB compiler's SQL to Spark SQL, session.py starts Spark."""

from .engine import SparkEngine

__all__ = ["SparkEngine"]
