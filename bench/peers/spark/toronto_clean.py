"""The Spark peer of vs-spark's `toronto-clean`: the Toronto apartment job
(examples/toronto-kijiji/toronto-job.ts) on Spark. Reads the CSV with multiLine (quoted fields span
lines), matches the header to the expected columns by normalised name, types each cell (a cell that
does not cast rejects its row to the quarantine, as DuckDB's reader does), cleans and filters with
the job's rules, and writes the kept rows as Parquet partitioned by evaluation year
(`year=YYYY/`), the quarantined rows beside them. Runs the job `--passes` times in one session
(the first pass is the cold JVM, later ones are warm) and prints one JSON line.

    python toronto_clean.py --csv FILE --out DIR --columns FILE.json [--passes 2]

The columns file is what the harness writes from the job's definition: the null strings and each
expected column's name, DuckDB type, aliases and whether it is required."""
import argparse
import json
import re
import shutil

from common import Timed, emit, progress, session

SPARK_TYPES = {"BIGINT": "BIGINT", "INTEGER": "INT", "SMALLINT": "SMALLINT", "TINYINT": "TINYINT", "DOUBLE": "DOUBLE", "DATE": "DATE", "VARCHAR": "STRING"}
BLANKS = "' \\t\\r\\n'"


def ident(name):
    return "`" + name.replace("`", "``") + "`"


def literal(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def normalise(header):
    return re.sub(r"^_+|_+$", "", re.sub(r"[^a-z0-9]+", "_", header.strip().lower()))


def text(c):
    return f"nullif(trim(BOTH {BLANKS} FROM {ident(c)}), '')"


def typed_view(spark, raw, spec):
    """`evaluations`: the expected columns typed, absent ones null, and `_reject` naming cells that did not cast."""
    by_name = {}
    for column in spec["columns"]:
        for name in [column["name"], *column.get("aliases", [])]:
            by_name[name] = column
    nulls = ", ".join(literal(n) for n in spec["nullStrings"])
    selected, rejects, seen, extras = [], [], set(), []
    for index, header in enumerate(raw.columns):
        column = by_name.get(normalise(header) or f"column_{index}")
        if not column or column["name"] in seen:
            extras.append(header)
            continue
        seen.add(column["name"])
        cell = f"CASE WHEN {ident(header)} IN ({nulls}) THEN NULL ELSE {ident(header)} END"
        kind = SPARK_TYPES[column["type"]]
        if kind == "STRING":
            selected.append(f"{cell} AS {ident(column['name'])}")
        else:
            selected.append(f"try_cast({cell} AS {kind}) AS {ident(column['name'])}")
            rejects.append(f"CASE WHEN ({cell}) IS NOT NULL AND try_cast({cell} AS {kind}) IS NULL THEN {literal(column['name'] + ' is not ' + column['type'])} END")
    missing = [c for c in spec["columns"] if c["name"] not in seen]
    required = [c["name"] for c in missing if c.get("required", True)]
    if extras or required:
        raise SystemExit(f"schema drift: added {extras}, missing {required}")
    for column in missing:
        selected.append(f"CAST(NULL AS {SPARK_TYPES[column['type']]}) AS {ident(column['name'])}")
    reject = f"concat_ws('; ', {', '.join(rejects)})" if rejects else "''"
    raw.createOrReplaceTempView("raw_csv")
    spark.sql(f"SELECT {', '.join(selected)}, nullif({reject}, '') AS _reject FROM raw_csv").createOrReplaceTempView("evaluations")
    return [c["name"] for c in missing]


def transform_sql(absent, items):
    present = "".join(f"{ident(c)}, " for c in items if c not in absent)
    scores = "".join(f"{ident(c)}, " for c in ["proactive_building_score", "current_reactive_score"] if c not in absent)
    return f"""SELECT
      _reject, id AS source_id, rsn, year_registered, year_built, year_evaluated,
      {text('property_type')} AS property_type, {text('ward')} AS ward, {text('wardname')} AS ward_name,
      {text('site_address')} AS site_address,
      confirmed_storeys, confirmed_units, evaluation_completed_on,
      score, {scores}{text('results_of_score')} AS results_of_score,
      no_of_areas_evaluated,
      {text('grid')} AS grid, latitude, longitude, x, y,
      CASE WHEN proactive_building_score IS NOT NULL OR current_reactive_score IS NOT NULL THEN '0-3' ELSE '1-5' END AS item_scale,
      {present}
      CASE
        WHEN rsn IS NULL THEN 'missing RSN'
        WHEN evaluation_completed_on IS NULL THEN 'missing evaluation_completed_on'
        WHEN score < 0 OR score > 100 THEN 'score ' || score || ' outside 0..100'
      END AS _error,
      CASE
        WHEN startswith(site_address, '** CREATED IN ERROR') THEN 'created in error'
        WHEN no_of_areas_evaluated = 0 THEN 'no areas evaluated'
        WHEN year_built < 1800 OR year_built > year(evaluation_completed_on) THEN 'year_built ' || year_built || ' outlier'
        WHEN latitude NOT BETWEEN 43.4 AND 44.0 OR longitude NOT BETWEEN -79.8 AND -79.0 THEN 'coordinates outside Toronto'
      END AS _dropped
    FROM evaluations"""


def run_once(spark, csv, out, spec):
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    raw = spark.read.option("header", True).option("multiLine", True).option("quote", '"').option("escape", '"').csv(csv)
    absent = typed_view(spark, raw, spec)
    rows = spark.sql(transform_sql(absent, spec["items"])).withColumn("_quarantine", F.expr("coalesce(_reject, _error)"))
    rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
    counts = rows.agg(
        F.count(F.lit(1)).alias("read"),
        F.count("_quarantine").alias("quarantined"),
        F.count(F.when(F.col("_quarantine").isNull() & F.col("_dropped").isNotNull(), 1)).alias("filtered"),
    ).first()
    kept = rows.filter("_quarantine IS NULL AND _dropped IS NULL").drop("_reject", "_error", "_dropped", "_quarantine")
    kept.withColumn("year", F.year("evaluation_completed_on")).write.mode("overwrite").partitionBy("year").parquet(f"{out}/data")
    rows.filter("_quarantine IS NOT NULL").select("_quarantine", F.to_json(F.struct("*")).alias("record")).write.mode("overwrite").parquet(f"{out}/quarantine")
    rows.unpersist()
    return {"read": counts["read"], "quarantined": counts["quarantined"], "filtered": counts["filtered"], "written": counts["read"] - counts["quarantined"] - counts["filtered"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--columns", required=True)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep every pass's output (for the check)")
    args = parser.parse_args()
    with open(args.columns) as f:
        spec = json.load(f)
    spark, jvm_start = session("vs-spark-toronto-clean")
    progress(f"session up in {jvm_start:.1f} s")
    passes = []
    for n in range(args.passes):
        out = f"{args.out}/pass-{n + 1}"
        with Timed() as t:
            counts = run_once(spark, args.csv, out, spec)
        passes.append({"seconds": round(t.seconds, 3), "cores": round(t.cores, 2), **counts})
        progress(f"pass {n + 1}: {counts['read']:,} rows in {t.seconds:.2f} s on {t.cores:.2f} cores ({counts})")
        if not args.keep and n + 1 < args.passes:
            shutil.rmtree(out, ignore_errors=True)
    spark.stop()
    emit({"jvmStartSec": round(jvm_start, 2), "passes": passes})


if __name__ == "__main__":
    main()
