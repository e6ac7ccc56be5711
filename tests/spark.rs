//! The Spark example end to end: a generated Postfix log of 1,000,000 lines
//! summarised by `examples/spark/bounce_summary.py` in PySpark's local mode
//! (bouncedx as the `pipe` filter), and the counts compared with
//! `bouncedx scan --summary json` on the same file: they must match
//! exactly. Needs python3 with pyspark and a Java runtime (`.ci/run`
//! installs pyspark); without them the test says SKIPPED.

use std::process::Command;

#[test]
fn spark_summary_matches_scan() {
    let has_pyspark = Command::new("python3")
        .args(["-c", "import pyspark"])
        .output()
        .is_ok_and(|o| o.status.success());
    let has_java = Command::new("java").arg("-version").output().is_ok();
    if !has_pyspark || !has_java {
        eprintln!("SKIPPED: needs python3 with pyspark and java (.ci/run installs pyspark)");
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("bouncedx-spark-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let log = dir.join("logs/mail.log");
    let gen = Command::new("python3")
        .arg(root.join("examples/spark/gen_log.py"))
        .arg(&log)
        .arg("1000000")
        .status()
        .unwrap();
    assert!(gen.success());
    let bin = env!("CARGO_BIN_EXE_bouncedx");
    let out_dir = dir.join("summary.parquet");
    let spark = Command::new("python3")
        .arg(root.join("examples/spark/bounce_summary.py"))
        .arg(dir.join("logs"))
        .arg(&out_dir)
        .arg(bin)
        .env("PYSPARK_PYTHON", "python3")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&spark.stdout).to_string()
        + &String::from_utf8_lossy(&spark.stderr);
    assert!(spark.status.success(), "{said}");
    assert!(
        said.contains("bouncedx-summary: 20000 rejections"),
        "{said}"
    );
    let check = Command::new("python3")
        .arg(root.join("examples/spark/check_counts.py"))
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let spark_counts: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&check.stdout)
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    let scan = Command::new(bin)
        .args(["scan", "--no-progress", "--summary", "json"])
        .arg(&log)
        .output()
        .unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&scan.stdout).unwrap();
    for (key, spark_key) in [
        ("by_category", "by_category"),
        ("by_provider", "by_provider"),
    ] {
        for row in summary[key].as_array().unwrap() {
            let k = row["key"].as_str().unwrap();
            assert_eq!(
                spark_counts[spark_key][k].as_u64(),
                row["count"].as_u64(),
                "{key} {k}: spark {} vs scan {}",
                spark_counts[spark_key],
                summary[key]
            );
        }
    }
    assert_eq!(summary["results"], 20000);
    assert_eq!(spark_counts["days"].as_array().unwrap().len(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}
