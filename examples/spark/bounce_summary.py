"""Summarise a folder of MTA logs with bouncedx on Spark.

    spark-submit examples/spark/bounce_summary.py LOGS_DIR OUT_DIR [BOUNCEDX]

Each partition of log lines is piped through
`bouncedx diagnose --input log --format jsonl -`, whose contract is one
result line per input line, in order (a line that is not a rejection comes
back with an `error` saying it was skipped). So each input line is zipped
with its result, the day is read from the line's timestamp, and the
rejections are counted per day, provider, category, what the answer
concerns (who acts) and reason, written as Parquet to OUT_DIR. bouncedx must be installed on every worker (the third
argument is its path there; default: `bouncedx` on the PATH).
"""

import json
import re
import sys

from pyspark.sql import Row, SparkSession

SYSLOG = re.compile(r"^([A-Z][a-z]{2})\s+(\d{1,2})\s")
ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def day_of(line):
    """The day a log line was written: ISO (`2026-11-26 ...`) or syslog
    (`Nov 26 ...`, which has no year)."""
    m = ISO.match(line)
    if m:
        return m.group(1)
    m = SYSLOG.match(line)
    if m:
        return f"{m.group(1)} {int(m.group(2)):02d}"
    return "unknown"


def main():
    logs, out = sys.argv[1], sys.argv[2]
    bouncedx = sys.argv[3] if len(sys.argv) > 3 else "bouncedx"
    spark = SparkSession.builder.appName("bouncedx-summary").getOrCreate()
    lines = spark.sparkContext.textFile(logs)
    results = lines.pipe(f"{bouncedx} diagnose --input log --format jsonl -")

    def rows(pair):
        line, result = pair
        d = json.loads(result)
        if d.get("error"):
            return []
        return [
            Row(
                day=day_of(line),
                provider=d.get("provider") or "(none)",
                category=d["category"],
                concerns=d.get("concerns") or "(none)",
                reason=d["reason"],
            )
        ]

    # pipe keeps each partition's lines in order and one for one, so the
    # two RDDs zip.
    diagnosed = lines.zip(results).flatMap(rows)
    df = spark.createDataFrame(diagnosed)
    summary = df.groupBy("day", "provider", "category", "concerns", "reason").count()
    summary.write.mode("overwrite").parquet(out)
    total = summary.groupBy().sum("count").collect()[0][0] or 0
    print(f"bouncedx-summary: {total} rejections written to {out}")
    spark.stop()


if __name__ == "__main__":
    main()
