//! The pictures opened in a real browser (headless Chromium, Debian's `chromium`): the flame
//! graph of a summary, the differential flame graph of a comparison, the one-file HTML report,
//! hostile names in both, and no request to the network; and `summary --tree` in the terminal.
//!
//! Without chromium a browser test says it is skipped (and fails under CI, which installs it:
//! .ci/run), as every test of an external tool does (`common::tool_available`).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use regex::Regex;

use crate::common::{fixture_arg, perfgate, run, tool_available};

/// Whether chromium is installed (a skip note, or a CI failure, when not).
fn have_chromium() -> bool {
    let runs = Command::new("chromium")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    tool_available("chromium", runs)
}

/// Held while chromium runs: no timing test of `record` runs beside a busy browser.
fn browser_lock() -> std::sync::MutexGuard<'static, ()> {
    crate::record::TIMING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Headless chromium with the flags every run takes; `--virtual-time-budget` lets the page's
/// scripts run before the DOM is dumped.
fn chromium(extra: &[&str]) -> Command {
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--virtual-time-budget=3000",
    ])
    .args(extra);
    cmd
}

/// The DOM of `file` after its scripts ran.
fn dump_dom(file: &Path) -> String {
    let _quiet = browser_lock();
    let out = chromium(&["--dump-dom"])
        .arg(format!("file://{}", file.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !dom.trim().is_empty(),
        "chromium dumped no DOM for {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    dom
}

/// One frame of an inferno flame graph as the browser has it.
#[derive(Debug)]
struct Frame {
    title: String,
    fill: (u8, u8, u8),
}

/// The frames of a flame graph's DOM (`<g><title>…</title><rect … fill="rgb(r,g,b)"…>`).
fn frames(dom: &str) -> Vec<Frame> {
    let re =
        Regex::new(r#"<g><title>([^<]*)</title><rect [^>]*fill="rgb\((\d+),\s*(\d+),\s*(\d+)\)""#)
            .unwrap();
    re.captures_iter(dom)
        .map(|c| Frame {
            title: unescape(&c[1]),
            fill: (
                c[2].parse().unwrap(),
                c[3].parse().unwrap(),
                c[4].parse().unwrap(),
            ),
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Runs perfgate with `args`, expecting `code`, in a fresh directory; returns the directory.
fn render(args: &[&str], code: i32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    for (flag, name) in [("--flamegraph", "graph.svg"), ("--html", "report.html")] {
        all.push(flag.into());
        all.push(dir.path().join(name).display().to_string());
    }
    let out = perfgate().args(&all).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "perfgate {all:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// The HTML report with a probe appended: once loaded, it writes what the flame graph's frame
/// holds into the page (the frame's DOM is not in `--dump-dom`).
fn probed_html(report: &Path) -> std::path::PathBuf {
    const PROBE: &str = r#"<script>window.addEventListener('load',function(){
var d=document.getElementById('flamegraph').contentDocument;
var p=document.createElement('pre');p.id='probe';
p.textContent=d.documentElement.outerHTML;document.body.appendChild(p);});</script></body>"#;
    let html = std::fs::read_to_string(report).unwrap();
    let probed = report.with_file_name("probed.html");
    std::fs::write(&probed, html.replace("</body>", PROBE)).unwrap();
    probed
}

#[test]
fn the_flame_graph_of_a_summary_renders_its_call_paths() {
    if !have_chromium() {
        return;
    }
    let dir = render(&["summary", &fixture_arg("viztracer/n_plus_one.json")], 0);
    let svg_path = dir.path().join("graph.svg");
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(svg.len() < 5_000_000);
    let dom = dump_dom(&svg_path);
    // inferno's script ran: it makes the drawing fluid by removing the width.
    assert!(
        dom.contains("<svg") && !dom.contains("<svg width="),
        "{}",
        &dom[..400]
    );
    let frames = frames(&dom);
    assert!(frames.len() > 20, "{} frames", frames.len());
    let names = |prefix: &str| {
        frames
            .iter()
            .filter(|f| f.title.starts_with(prefix))
            .count()
    };
    // One frame per call path: execute_query under get_session, save_result and
    // get_prerequisite.
    assert_eq!(names("execute_query (diagnostic.py)"), 3, "{frames:#?}");
    assert_eq!(names("post_answer (diagnostic.py)"), 1);
    assert!(
        frames.iter().any(|f| f.title.contains(" µs, ")),
        "{frames:#?}"
    );
}

#[test]
fn the_differential_flame_graph_shows_the_regressed_frame_in_red_with_both_figures() {
    if !have_chromium() {
        return;
    }
    let dir = render(
        &[
            "compare",
            &fixture_arg("viztracer/baseline.json"),
            &fixture_arg("viztracer/regressed.json"),
        ],
        1,
    );
    let dom = dump_dom(&dir.path().join("graph.svg"));
    let frames = frames(&dom);
    // The cause: call_claude called twice per decide_next. Its frame names both figures.
    let claude = frames
        .iter()
        .find(|f| f.title.starts_with("call_claude (diagnostic.py) ["))
        .unwrap_or_else(|| panic!("no call_claude frame in {frames:#?}"));
    let figures = Regex::new(r"\[(\d[\d.]*m?s) → (\d[\d.]*m?s), \+\d+(\.\d)?%\]").unwrap();
    let c = figures.captures(&claude.title).expect(&claude.title);
    assert_ne!(&c[1], &c[2], "{}", claude.title);
    // The time it waits (time.sleep beneath it) grew most: the deepest red of the graph.
    let reddest = frames
        .iter()
        .filter(|f| f.fill.0 == 255 && f.fill.1 == f.fill.2)
        .min_by_key(|f| f.fill.1)
        .expect("a red frame");
    assert!(reddest.title.starts_with("time.sleep ["), "{reddest:?}");
    assert_eq!(reddest.fill, (255, 100, 100));
    // Frames that lost time are blue, unchanged ones near white: the colours differ.
    assert!(
        frames.iter().any(|f| f.fill.2 == 255 && f.fill.0 < 255),
        "{frames:#?}"
    );
}

#[test]
fn the_html_report_shows_verdict_causes_table_plots_and_flame_graph() {
    if !have_chromium() {
        return;
    }
    let dir = render(
        &[
            "compare",
            &fixture_arg("viztracer/baseline.json"),
            &fixture_arg("viztracer/regressed.json"),
        ],
        1,
    );
    let dom = dump_dom(&probed_html(&dir.path().join("report.html")));
    assert!(dom.contains(r#"id="verdict">fail</span>"#), "verdict");
    // The causes come first, each with its before/after histogram.
    let causes = dom.find("<h2>Causes</h2>").expect("causes");
    let table = dom
        .find(r#"id="operations""#)
        .expect("the operations table");
    let flame = dom.find(r#"id="flamegraph""#).expect("the flame graph");
    assert!(causes < table && table < flame);
    let cause = Regex::new(r#"(?s)<div class="cause" id="cause-0">(.*?)</div>"#).unwrap();
    let first = &cause.captures(&dom).expect("a cause")[1];
    assert!(
        first.contains("call_claude (diagnostic.py) called 2×"),
        "{first}"
    );
    assert!(first.contains(r#"class="before""#) && first.contains(r#"class="after""#));
    assert!(first.contains("before: 12 calls") && first.contains("after: 24 calls"));
    // The table: one row per operation, the regressed ones marked, origin for the filter.
    let rows =
        Regex::new(r#"<tr class="regressed" data-origin="own"><td class="name">([^<]*)<"#).unwrap();
    let regressed: Vec<&str> = rows
        .captures_iter(&dom)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert!(
        regressed.contains(&"call_claude (diagnostic.py)"),
        "{regressed:?}"
    );
    assert!(dom.contains(r#"<option value="library">library</option>"#));
    // The frame's flame graph ran its script and has the red frame.
    let probe = dom.find(r#"<pre id="probe">"#).expect("the probe ran");
    let inner = unescape(&dom[probe..]);
    let frames = frames(&inner);
    assert!(
        frames
            .iter()
            .any(|f| f.title.starts_with("time.sleep [") && f.fill == (255, 100, 100)),
        "{frames:#?}"
    );
}

#[test]
fn the_html_table_sorts_and_filters_in_the_browser() {
    if !have_chromium() {
        return;
    }
    let dir = render(&["summary", &fixture_arg("viztracer/n_plus_one.json")], 0);
    let report = dir.path().join("report.html");
    // Sort by calls (descending after two clicks), then keep library code only.
    const ACT: &str = r#"<script>window.addEventListener('load',function(){
var th=document.querySelectorAll('#operations th')[2];th.click();th.click();
var o=document.getElementById('origin');o.value='library';o.dispatchEvent(new Event('change'));
});</script></body>"#;
    let html = std::fs::read_to_string(&report).unwrap();
    let acted = dir.path().join("acted.html");
    std::fs::write(&acted, html.replace("</body>", ACT)).unwrap();
    let dom = dump_dom(&acted);
    let row = Regex::new(r#"<tr data-origin="(\w+)"( style="[^"]*")?><td class="name">[^<]*</td><td>\w+</td><td data-v="(\d+)""#).unwrap();
    let rows: Vec<(String, bool, u64)> = row
        .captures_iter(&dom)
        .map(|c| {
            let hidden = c.get(2).is_some_and(|s| s.as_str().contains("none"));
            (c[1].to_string(), !hidden, c[3].parse().unwrap())
        })
        .collect();
    assert!(rows.len() > 20, "{rows:?}");
    let counts: Vec<u64> = rows.iter().map(|r| r.2).collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "sorted by calls: {counts:?}"
    );
    assert!(rows.iter().any(|r| r.1), "some rows shown");
    assert!(rows.iter().all(|r| r.1 == (r.0 == "library")), "{rows:?}");
}

/// Names a trace could carry to break out of the SVG, the HTML or an attribute.
const HOSTILE: [&str; 5] = [
    "<script>document.title='pwned'</script>",
    "</svg><img src=x onerror=\"document.title='pwned'\">",
    "\"quoted\" 'single' </title></g>",
    "</iframe><img src=x id=injected>",
    "&amp; ; semi;colon 42",
];

fn hostile_trace(dir: &Path) -> String {
    let mut events = vec![serde_json::json!(
        {"name": "root", "ph": "X", "ts": 0, "dur": 100_000, "pid": 1, "tid": 1})];
    for (i, name) in HOSTILE.iter().enumerate() {
        events.push(
            serde_json::json!({"name": name, "ph": "X", "ts": 10 + i * 10_000,
                                       "dur": 5_000 + i, "pid": 1, "tid": 1}),
        );
    }
    let path = dir.join("hostile.json");
    std::fs::write(
        &path,
        serde_json::json!({ "traceEvents": events }).to_string(),
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn hostile_names_stay_text_in_the_flame_graph_and_the_html_report() {
    if !have_chromium() {
        return;
    }
    let input = tempfile::tempdir().unwrap();
    let trace = hostile_trace(input.path());
    let dir = render(&["summary", &trace], 0);
    let svg_dom = dump_dom(&dir.path().join("graph.svg"));
    let html_dom = dump_dom(&probed_html(&dir.path().join("report.html")));
    for dom in [&svg_dom, &html_dom] {
        assert!(!dom.contains("pwned</title>"), "a script ran");
        assert!(!dom.contains("<img"), "an element was injected");
        assert!(!dom.contains("id=\"injected\""));
    }
    // inferno's one script in the SVG; the page's one script (and the probe) in the HTML.
    assert_eq!(svg_dom.matches("<script").count(), 1);
    assert_eq!(html_dom.matches("<script").count(), 2, "{html_dom}");
    // The names are there, as text: in the frames' titles and the table's cells.
    let titles: Vec<String> = frames(&svg_dom).into_iter().map(|f| f.title).collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("<script>document.title=")),
        "{titles:#?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("\"quoted\" 'single' </title></g>"))
    );
    // `;` separates frames in folded stacks: shown as `,`, the frame kept whole.
    // A name ending in a number gets no-break spaces (a trailing number would be a count).
    assert!(
        titles.iter().any(|t| t
            .replace('\u{a0}', " ")
            .starts_with("&amp, , semi,colon 42")),
        "{titles:#?}"
    );
    assert!(html_dom.contains("&lt;/iframe&gt;&lt;img src=x id=injected&gt;"));
}

/// A stand-in proxy on a local port that records the first line of every request.
fn recording_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut line = String::new();
            let _ = BufReader::new(&stream).read_line(&mut line);
            log.lock().unwrap().push(line.trim().to_string());
        }
    });
    (port, seen)
}

/// The hosts chromium asked the proxy for while showing `file`.
fn hosts_requested(file: &Path) -> BTreeSet<String> {
    let _quiet = browser_lock();
    let (port, seen) = recording_proxy();
    let proxy = format!("--proxy-server=http://127.0.0.1:{port}");
    let _ = chromium(&[&proxy, "--proxy-bypass-list=<-loopback>", "--dump-dom"])
        .arg(format!("file://{}", file.display()))
        .output()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let host = Regex::new(r"^[A-Z]+ (?:https?://)?([^/: ]+)").unwrap();
    seen.lock()
        .unwrap()
        .iter()
        .filter_map(|l| host.captures(l).map(|c| c[1].to_string()))
        .collect()
}

#[test]
fn the_pictures_make_no_request_to_the_network() {
    if !have_chromium() {
        return;
    }
    let dir = render(
        &[
            "compare",
            &fixture_arg("viztracer/baseline.json"),
            &fixture_arg("viztracer/regressed.json"),
        ],
        1,
    );
    let (svg, html) = (dir.path().join("graph.svg"), dir.path().join("report.html"));
    let link = Regex::new(r#"(?i)(src|href)\s*=\s*["']?\s*(https?:)?//"#).unwrap();
    for file in [&svg, &html] {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(!link.is_match(&text), "{} links out", file.display());
    }
    // The browser's own background requests (updates, time) are there for an empty page too;
    // a page that loads anything adds its host. A control page shows the proxy sees it.
    let blank = dir.path().join("blank.html");
    std::fs::write(&blank, "<html><body>blank</body></html>").unwrap();
    let control = dir.path().join("control.html");
    std::fs::write(
        &control,
        "<html><body><img src=\"http://perfgate-control.invalid/x.png\"></body></html>",
    )
    .unwrap();
    let background = hosts_requested(&blank);
    assert!(hosts_requested(&control).contains("perfgate-control.invalid"));
    for file in [&svg, &html] {
        let extra: Vec<String> = hosts_requested(file)
            .difference(&background)
            .cloned()
            .collect();
        assert!(extra.is_empty(), "{} requested {extra:?}", file.display());
    }
}

#[test]
fn a_baseline_side_gives_a_flame_graph_that_says_why_it_is_empty() {
    let dir = render(
        &[
            "compare",
            &fixture_arg("../../baselines/diagnostic.json"),
            &fixture_arg("viztracer/regressed.json"),
        ],
        1,
    );
    let svg = std::fs::read_to_string(dir.path().join("graph.svg")).unwrap();
    assert!(svg.contains("a side is a baseline file"), "{svg}");
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("a side is a baseline file"));
    assert!(html.contains(r#"<div class="cause" id="cause-0">"#));
}

#[test]
fn summary_tree_splits_the_slowest_calls_into_their_call_paths() {
    let trace = fixture_arg("viztracer/n_plus_one.json");
    let (out, _) = run(
        &[
            "summary",
            &trace,
            "--tree",
            "post_answer",
            "--tree-calls",
            "3",
        ],
        0,
    );
    assert!(
        out.contains("Where the time of the 3 slowest of 12 calls of post_answer goes"),
        "{out}"
    );
    // The table lists only the operation asked for.
    assert!(!out.contains("│ decide_next"), "{out}");
    let line = Regex::new(r"(?m)^\s*\S+\s+(\d+\.\d)%\s+\S+  ( *)└ (\S+)").unwrap();
    let rows: Vec<(f64, usize, String)> = line
        .captures_iter(&out)
        .map(|c| (c[1].parse().unwrap(), c[2].len(), c[3].to_string()))
        .collect();
    let decide = rows.iter().find(|r| r.2 == "decide_next").expect(&out);
    assert_eq!(decide.1, 0, "a direct callee: {out}");
    let query = rows
        .iter()
        .find(|r| r.2 == "load_prerequisites")
        .expect(&out);
    assert_eq!(query.1, 2, "one level deeper: {out}");
    assert!(decide.0 > query.0 && decide.0 < 100.0);
}

#[test]
fn summary_tree_of_an_unknown_name_is_an_input_error() {
    let trace = fixture_arg("viztracer/n_plus_one.json");
    let (_, err) = run(&["summary", &trace, "--tree", "no_such_function"], 2);
    assert!(
        err.contains("--tree 'no_such_function': no operation"),
        "{err}"
    );
}

#[test]
fn check_draws_its_traces_and_the_graph_goes_to_standard_output_too() {
    let trace = fixture_arg("viztracer/n_plus_one.json");
    let budgets = fixture_arg("../../budgets.toml");
    let dir = render(&["check", &trace, "--budgets", &budgets], 1);
    let svg = std::fs::read_to_string(dir.path().join("graph.svg")).unwrap();
    assert!(svg.contains(">perfgate: call paths<"), "{svg}");
    assert!(
        svg.contains("<title>execute_query (diagnostic.py) ("),
        "{svg}"
    );
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains(r#"id="budgets""#) && html.contains(r#"id="findings""#));
    // --format flamegraph: the same SVG on standard output.
    let (out, _) = run(&["summary", &trace, "--format", "flamegraph"], 0);
    assert!(out.starts_with("<?xml") && out.contains("<title>post_answer (diagnostic.py) ("));
}
