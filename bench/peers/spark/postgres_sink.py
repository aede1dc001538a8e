"""The Spark peer of vs-spark's `postgres-sink`: the stateless job's cards written to PostgreSQL.
Kafka source → the same parse, filter and map as stateless_kafka.py → foreachBatch appending each
micro-batch to the table over JDBC (the PostgreSQL driver from spark.jars.packages), one row per
input record with the id partition·2⁴⁰ + offset, as Tributary's job writes. Reads what the topic
holds (trigger availableNow) and stops.

    python postgres_sink.py --brokers B --input T --jdbc URL --table NAME --checkpoint DIR

Prints one JSON line: the JVM start, and the seconds and cores from the query's start to its end."""
import argparse
import os

from common import Timed, emit, progress, session
from stateless_kafka import cards

POSTGRES_DRIVER = "org.postgresql:postgresql:42.7.4"


def main():
    from pyspark.sql import functions as F

    parser = argparse.ArgumentParser()
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--jdbc", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--checkpoint", required=True)
    args = parser.parse_args()
    spark, jvm_start = session("vs-spark-postgres-sink", packages=[os.environ["TRIBUTARY_SPARK_KAFKA_PACKAGE"], POSTGRES_DRIVER])
    progress(f"session up in {jvm_start:.1f} s")
    source = spark.readStream.format("kafka").option("kafka.bootstrap.servers", args.brokers).option("subscribe", args.input).option("startingOffsets", "earliest").load()
    rows = cards(source).select(
        (F.col("partition").cast("long") * F.lit(2**40) + F.col("offset")).alias("id"),
        F.col("card.id").alias("pin"), "card.category", "card.title", "card.followers", "card.video", F.col("card.t").alias("appended_at"),
    )

    def write(batch, _batch_id):
        batch.write.format("jdbc").option("url", args.jdbc).option("dbtable", args.table).option("driver", "org.postgresql.Driver").option("batchsize", 5000).mode("append").save()

    with Timed() as t:
        query = rows.writeStream.foreachBatch(write).option("checkpointLocation", args.checkpoint).trigger(availableNow=True).start()
        query.awaitTermination()
    progress(f"wrote the topic's cards in {t.seconds:.2f} s on {t.cores:.2f} cores")
    spark.stop()
    emit({"jvmStartSec": round(jvm_start, 2), "seconds": round(t.seconds, 3), "cores": round(t.cores, 2)})


if __name__ == "__main__":
    main()
