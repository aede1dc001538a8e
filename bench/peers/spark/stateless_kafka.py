"""The Spark peer of vs-spark's `stateless-kafka` and `stateless-kafka-latency`: the stateless
benchmark job (bench/stream-jobs.ts) on Spark Structured Streaming. Kafka source → parse the pin's
JSON → keep downloaded pins → map each to a card → Kafka sink, the input key kept.

    python stateless_kafka.py --brokers B --input T --output T --checkpoint DIR throughput
        reads everything in the topic (trigger availableNow) and stops
    python stateless_kafka.py --brokers B --input T --output T --checkpoint DIR latency --stop-file F
        starts at the topic's end, runs micro-batches back to back, prints `[spark] ready` once the
        query is up, and stops when F exists

Prints one JSON line: the JVM start, and for throughput the seconds and cores from the query's start
to its end (the Kafka sink has flushed every batch by then)."""
import argparse
import os
import time

from common import Timed, emit, progress, session


def cards(frame):
    """The downloaded pins of a Kafka frame as `card` structs, beside the record's key, partition and offset."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

    schema = StructType([
        StructField("t", DoubleType()), StructField("category", StringType()), StructField("index", LongType()),
        StructField("unique_id", StringType()), StructField("title", StringType()), StructField("follower_count", StringType()),
        StructField("is_image_or_video", StringType()), StructField("downloaded", LongType()),
    ])
    pin = frame.select("key", "partition", "offset", F.from_json(F.col("value").cast("string"), schema).alias("p")).select("key", "partition", "offset", "p.*")
    number = F.regexp_extract("follower_count", r"^(\d+(?:\.\d+)?)([kM]?)$", 1)
    unit = F.regexp_extract("follower_count", r"^(\d+(?:\.\d+)?)([kM]?)$", 2)
    matched = F.col("follower_count").rlike(r"^(\d+(?:\.\d+)?)([kM]?)$")
    scale = F.when(unit == "k", F.lit(1e3)).when(unit == "M", F.lit(1e6)).otherwise(F.lit(1.0))
    followers = F.when(matched, F.round(number.cast("double") * scale).cast("long"))
    card = F.struct(
        F.col("t").alias("t"), F.col("unique_id").alias("id"), "category", "title",
        followers.alias("followers"), (F.col("is_image_or_video") != "image").alias("video"),
    )
    return pin.filter(F.col("downloaded") == 1).select("key", "partition", "offset", card.alias("card"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("mode", choices=["throughput", "latency"])
    parser.add_argument("--stop-file")
    args = parser.parse_args()
    from pyspark.sql import functions as F

    spark, jvm_start = session("vs-spark-stateless", packages=[os.environ["TRIBUTARY_SPARK_KAFKA_PACKAGE"]])
    progress(f"session up in {jvm_start:.1f} s")
    source = (
        spark.readStream.format("kafka").option("kafka.bootstrap.servers", args.brokers).option("subscribe", args.input)
        .option("startingOffsets", "earliest" if args.mode == "throughput" else "latest").option("failOnDataLoss", "false").load()
    )
    writer = (
        cards(source).select("key", F.to_json("card").alias("value")).writeStream.format("kafka").option("kafka.bootstrap.servers", args.brokers).option("topic", args.output)
        .option("checkpointLocation", args.checkpoint)
    )
    if args.mode == "throughput":
        with Timed() as t:
            query = writer.trigger(availableNow=True).start()
            query.awaitTermination()
        progress(f"read the topic in {t.seconds:.2f} s on {t.cores:.2f} cores")
        spark.stop()
        emit({"jvmStartSec": round(jvm_start, 2), "seconds": round(t.seconds, 3), "cores": round(t.cores, 2)})
        return
    query = writer.trigger(processingTime="0 seconds").start()
    while query.lastProgress is None:
        time.sleep(0.05)
    progress("ready")
    with Timed() as t:
        while not os.path.exists(args.stop_file):
            query.awaitTermination(0.1)
    query.stop()
    spark.stop()
    emit({"jvmStartSec": round(jvm_start, 2), "cores": round(t.cores, 2)})


if __name__ == "__main__":
    main()
