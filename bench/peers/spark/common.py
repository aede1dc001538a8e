"""Shared by the Spark peers of `npm run bench -- vs-spark`: the session (local[2], the Ivy cache and
packages the harness names), CPU time of this process tree, and the one JSON line each job prints
last on stdout for the harness to read. Progress goes to stderr, prefixed `[spark]`."""
import json
import os
import sys
import time

STARTED = time.monotonic()
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def progress(message):
    print(f"[spark] {message}", file=sys.stderr, flush=True)


def _children():
    kids = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        kids.setdefault(int(fields[1]), []).append((int(entry), int(fields[11]) + int(fields[12])))
    return kids


def tree_cpu_seconds():
    """User + system CPU of this process and every descendant (the JVM), in seconds."""
    kids = _children()
    total = 0
    stack = [os.getpid()]
    with open(f"/proc/{os.getpid()}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    total += int(fields[11]) + int(fields[12])
    while stack:
        for pid, ticks in kids.get(stack.pop(), []):
            total += ticks
            stack.append(pid)
    return total / CLOCK_TICKS


def session(app, packages=(), conf=None):
    """A local[2] SparkSession; returns it and the seconds from this process's start until it was up."""
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master("local[2]")
        .appName(app)
        .config("spark.driver.memory", os.environ.get("TRIBUTARY_SPARK_DRIVER_MEMORY", "4g"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
    )
    if packages:
        builder = builder.config("spark.jars.packages", ",".join(packages)).config("spark.jars.ivy", os.environ["TRIBUTARY_SPARK_IVY"])
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark, time.monotonic() - STARTED


class Timed:
    """Wall and tree CPU time of a block."""

    def __enter__(self):
        self.wall = time.monotonic()
        self.cpu = tree_cpu_seconds()
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.wall
        self.cores = (tree_cpu_seconds() - self.cpu) / self.seconds if self.seconds > 0 else 0.0
        return False


def emit(result):
    print(json.dumps(result), flush=True)
