//! Traces with tens of thousands of distinct span names (issues #14 and #16): every name is
//! one operation with its own figures, and a name called several times is still one.
//! `benches/make_many_names.py` makes the 5-million-name trace the memory figures of
//! docs/benchmarks.md are measured on; this is its small case (a second in a debug build).

use super::common::perfgate;

/// `names` distinct names in the layout viztracer writes (`fn (path:line)`), called once
/// each for `1 + i` µs, then `handler_0` called twice more (5 µs and 7 µs).
fn many_names_trace(names: usize) -> String {
    let mut text = String::with_capacity(names * 110);
    text.push_str("{\"traceEvents\":[");
    let mut ts = 0u64;
    let mut event = |text: &mut String, name: &str, dur: u64| {
        text.push_str(&format!(
            "{{\"pid\":1,\"tid\":1,\"ts\":{ts},\"dur\":{dur},\"name\":\"{name}\",\"ph\":\"X\"}},"
        ));
        ts += dur + 1;
    };
    for i in 0..names {
        let name = format!("handler_{i} (/srv/app/mod{}.py:{})", i % 1000, i % 5000 + 1);
        event(&mut text, &name, 1 + i as u64);
    }
    event(&mut text, "handler_0 (/srv/app/mod0.py:1)", 5);
    event(&mut text, "handler_0 (/srv/app/mod0.py:1)", 7);
    text.pop();
    text.push_str("]}");
    text
}

fn summary_json(path: &str, max_names: &str) -> (i32, serde_json::Value, String) {
    let out = perfgate()
        .env("PERFGATE_MAX_NAMES", max_names)
        .args(["summary", path, "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json, stderr)
}

#[test]
fn twenty_thousand_names_are_twenty_thousand_operations_with_their_own_figures() {
    let names = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("names.json");
    std::fs::write(&path, many_names_trace(names)).unwrap();
    let path = path.display().to_string();

    let (code, json, stderr) = summary_json(&path, "20000");
    assert_eq!(code, 0, "{stderr}");
    let rows = json["operations"].as_array().unwrap();
    assert_eq!(rows.len(), names);
    assert_eq!(json["inputs"][0]["spans"], 20_002);
    let counts: u64 = rows.iter().map(|r| r["count"].as_u64().unwrap()).sum();
    assert_eq!(counts, 20_002);
    let row = |key: &str| rows.iter().find(|r| r["name"] == key).unwrap();
    // Sorted by total: the last name called is the longest call, the first the shortest.
    assert_eq!(rows[0]["name"], "handler_19999 (mod999.py)");
    assert_eq!(rows[0]["total_us"], 20_000.0);
    let first = row("handler_0 (mod0.py)");
    assert_eq!(first["count"], 3);
    assert_eq!(first["function"], "handler_0");
    assert_eq!(first["line"], 1);
    assert_eq!(
        (&first["total_us"], &first["min_us"], &first["max_us"]),
        (&13.0.into(), &1.0.into(), &7.0.into())
    );
    assert_eq!(first["p50_us"], 5.0);
    let middle = row("handler_12345 (mod345.py)");
    assert_eq!(
        (&middle["count"], &middle["total_us"]),
        (&1.into(), &12_346.0.into())
    );
    assert_eq!(middle["line"], 2346);

    // One name fewer allowed: the name that goes past the limit is an error, exit 2.
    let (code, _, stderr) = summary_json(&path, "19999");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("more than 19999 distinct names"),
        "{stderr}"
    );
}

/// The terminal table of `perfgate summary PATH` at `columns` wide, with `args` after.
fn summary_table(path: &str, columns: &str, args: &[&str]) -> String {
    let out = perfgate()
        .env("PERFGATE_MAX_NAMES", "20000")
        .env("COLUMNS", columns)
        .args(["summary", path])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The table is written in blocks of rows (issue #16): every one of 20 000 rows is printed,
/// under one header, with the borders of one table, as `--top` with every row prints it.
#[test]
fn the_table_of_twenty_thousand_names_shows_every_row_once() {
    let names = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("names.json");
    std::fs::write(&path, many_names_trace(names)).unwrap();
    let path = path.display().to_string();

    let table = summary_table(&path, "120", &[]);
    let lines: Vec<&str> = table.lines().collect();
    // Top border, header, header separator, one line per row, bottom border.
    assert_eq!(lines.len(), names + 4, "{}", &table[..2000]);
    assert!(lines[0].starts_with('┌') && lines[2].starts_with('╞'));
    assert!(lines[names + 3].starts_with('└'));
    let rows = &lines[3..names + 3];
    assert!(rows.iter().all(|l| l.starts_with("│ handler_")));
    let shown: std::collections::HashSet<&str> = rows
        .iter()
        .map(|l| l.split('┆').next().unwrap().trim_matches(['│', ' ']))
        .collect();
    assert_eq!(shown.len(), names);
    assert!(shown.contains("handler_12345 (mod345.py)"));
    assert!(shown.contains("handler_0 (mod0.py)"));
    assert_eq!(table.matches("Operation").count(), 1);
    assert_eq!(table, summary_table(&path, "120", &["--top", "20000"]));

    // Narrow: names wrap over several lines, still one table.
    let narrow = summary_table(&path, "40", &[]);
    assert_eq!(narrow, summary_table(&path, "40", &["--top", "99999"]));
    assert_eq!(narrow.lines().filter(|l| l.starts_with('┌')).count(), 1);
    assert_eq!(narrow.lines().filter(|l| l.starts_with('└')).count(), 1);
    assert_eq!(narrow.lines().filter(|l| l.starts_with('╞')).count(), 1);
    assert!(narrow.lines().count() > 2 * names);

    let top = summary_table(&path, "120", &["--top", "19999"]);
    assert_eq!(top.lines().count(), names + 3 + 1);
    assert!(top.ends_with("\n1 more operation(s) not shown (use --top to show more)\n"));
}
