"""The Spark peer of vs-spark's `windowed-kafka`: bench/stream.ts's windowed job on Spark Structured
Streaming. Kafka source → parse the pin → count per pin in 10 s tumbling windows of the record's
Kafka timestamp, with a 1 s watermark (the job's allowed out-of-orderness) → Parquet, append mode
(a window is written once the watermark passes its end). Reads what the topic holds in micro-batches
of at most --batch records (trigger availableNow) and stops.

    python windowed_kafka.py --brokers B --input T --out DIR --checkpoint DIR [--batch N]

Prints one JSON line: the JVM start, and the seconds and cores from the query's start to its end."""
import argparse
import os

from common import Timed, emit, progress, session


def main():
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    parser = argparse.ArgumentParser()
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--batch", type=int, default=100_000)
    args = parser.parse_args()
    spark, jvm_start = session("vs-spark-windowed", packages=[os.environ["TRIBUTARY_SPARK_KAFKA_PACKAGE"]])
    progress(f"session up in {jvm_start:.1f} s")
    schema = StructType([StructField("unique_id", StringType())])
    pins = (
        spark.readStream.format("kafka").option("kafka.bootstrap.servers", args.brokers).option("subscribe", args.input)
        .option("startingOffsets", "earliest").option("maxOffsetsPerTrigger", args.batch).load()
        .select(F.from_json(F.col("value").cast("string"), schema).alias("p"), "timestamp")
    )
    counts = (
        pins.withWatermark("timestamp", "1 second")
        .groupBy(F.window("timestamp", "10 seconds"), F.col("p.unique_id").alias("pin"))
        .count()
        .select("pin", F.unix_millis(F.col("window.start")).alias("window_start"), F.unix_millis(F.col("window.end")).alias("window_end"), F.col("count").alias("views"))
    )
    with Timed() as t:
        query = counts.writeStream.format("parquet").outputMode("append").option("path", args.out).option("checkpointLocation", args.checkpoint).trigger(availableNow=True).start()
        query.awaitTermination()
    progress(f"read the topic in {t.seconds:.2f} s on {t.cores:.2f} cores")
    spark.stop()
    emit({"jvmStartSec": round(jvm_start, 2), "seconds": round(t.seconds, 3), "cores": round(t.cores, 2)})


if __name__ == "__main__":
    main()
