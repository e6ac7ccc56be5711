"""Prints the category totals of a bounce_summary.py Parquet output as JSON
(used by tests/spark.rs to compare with `bouncedx scan --summary json`)."""

import json
import sys

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("bouncedx-check").getOrCreate()
df = spark.read.parquet(sys.argv[1])
by_category = {r["category"]: r["n"] for r in df.groupBy("category").sum("count").withColumnRenamed("sum(count)", "n").collect()}
by_provider = {r["provider"]: r["n"] for r in df.groupBy("provider").sum("count").withColumnRenamed("sum(count)", "n").collect()}
days = sorted(r["day"] for r in df.select("day").distinct().collect())
print(json.dumps({"by_category": by_category, "by_provider": by_provider, "days": days}))
spark.stop()
