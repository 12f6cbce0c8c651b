//! `--html FILE.html`: the whole report as one self-contained page (inline CSS, JavaScript and
//! SVG; no network: a Content-Security-Policy forbids every request), readable opened from
//! disk or downloaded as a CI artifact.
//!
//! In order: the verdict and its causes (each with a small before/after histogram of its call
//! durations), red flags and budgets, the operations table (sortable by any column, filterable
//! by own code / library and by name), and the flame graph (in a sandboxed frame, so its own
//! script runs as in the standalone SVG). Every name from a trace goes through
//! [`escape::xml`]; the page's script reads only what the page shows.

use std::fmt::Write as _;

use super::{RenderSettings, Renderer, escape, flamegraph, text};
use crate::ops::{OpStats, Origin};
use crate::outcome::pictures::Distribution;
use crate::outcome::units::{fmt_p, human_us, signed_pct, signed_us};
use crate::outcome::{
    BudgetResult, ChangeStatus, CommandKind, Comparison, Finding, OpChange, Report, Severity,
    Verdict,
};

/// The HTML report format.
pub struct Html;

impl Renderer for Html {
    fn name(&self) -> &'static str {
        "html"
    }

    fn help(&self) -> &'static str {
        "One self-contained HTML page: verdict, causes, tables, flame graph"
    }

    fn file_help(&self) -> &'static str {
        "Write the report as one self-contained HTML page to FILE (verdict and causes, sortable \
         tables, the flame graph; no network needed)"
    }

    fn render(&self, report: &Report, _settings: &RenderSettings) -> String {
        page(report)
    }
}

/// Every request is refused: the page needs nothing beyond itself (the flame graph's frame is
/// `srcdoc`, inline too).
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
                   img-src data:; frame-src 'self'";

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1240px;padding:16px;color:#1f2328}
h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.verdict{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600;text-transform:uppercase}
.v-pass{background:#1a7f37}.v-warn{background:#9a6700}.v-fail{background:#cf222e}.v-none{background:#57606a}
.muted{color:#57606a}.inputs{margin:4px 0 0;padding-left:18px}
.cause{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;margin:8px 0;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
.cause p{margin:0;flex:1 1 420px}.cause svg{flex:0 0 auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #eaeef2;padding:3px 6px;text-align:right;white-space:nowrap}
th{background:#f6f8fa;cursor:pointer;user-select:none;position:sticky;top:0}
th.sorted-asc::after{content:" ▲"}th.sorted-desc::after{content:" ▼"}
td.name,th.name{text-align:left;white-space:normal;word-break:break-all;max-width:520px}
tr.regressed td.status,.fail{color:#cf222e;font-weight:600}tr.improved td.status{color:#0969da}
.warn{color:#9a6700;font-weight:600}
.filters{margin:6px 0;display:flex;gap:12px;align-items:center}
iframe.flame{width:100%;border:1px solid #d0d7de;border-radius:6px;height:640px}
ul.plain{padding-left:18px;margin:4px 0}
"#;

/// Sorting by a column (numbers by their `data-v`), and the origin and name filters.
const SCRIPT: &str = r#"
(function(){
  function value(td){var v=td.getAttribute('data-v');return v===null?td.textContent.toLowerCase():parseFloat(v);}
  document.querySelectorAll('table.sortable').forEach(function(table){
    var heads=table.querySelectorAll('th');
    heads.forEach(function(th,col){th.addEventListener('click',function(){
      var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
      var asc=!th.classList.contains('sorted-asc');
      heads.forEach(function(h){h.classList.remove('sorted-asc','sorted-desc');});
      th.classList.add(asc?'sorted-asc':'sorted-desc');
      rows.sort(function(a,b){var x=value(a.cells[col]),y=value(b.cells[col]);
        if(typeof x==='number'&&isNaN(x))return 1;if(typeof y==='number'&&isNaN(y))return -1;
        return (x<y?-1:x>y?1:0)*(asc?1:-1);});
      rows.forEach(function(r){body.appendChild(r);});
    });});
  });
  var origin=document.getElementById('origin'),search=document.getElementById('search');
  function filter(){
    var o=origin?origin.value:'all',s=search?search.value.toLowerCase():'';
    document.querySelectorAll('table.filtered tbody tr').forEach(function(r){
      var ok=(o==='all'||r.getAttribute('data-origin')===o)&&(s===''||r.cells[0].textContent.toLowerCase().indexOf(s)>=0);
      r.style.display=ok?'':'none';});
    var shown=document.querySelectorAll('table.filtered tbody tr:not([style*="none"])').length;
    var count=document.getElementById('shown');if(count)count.textContent=shown;
  }
  if(origin)origin.addEventListener('change',filter);
  if(search)search.addEventListener('input',filter);
  filter();
})();
"#;

/// The whole page.
fn page(report: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let title = format!("perfgate {}", command_name(report.command));
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body>"
    );
    header(&mut out, report, &title);
    if let Some(c) = &report.comparison {
        causes(&mut out, report, c);
    }
    findings(&mut out, &report.findings);
    budgets(&mut out, &report.budgets);
    match &report.comparison {
        Some(c) => comparison_table(&mut out, c),
        None => operations_table(&mut out, &report.operations),
    }
    flame(&mut out, report);
    let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body></html>");
    out
}

fn command_name(command: CommandKind) -> &'static str {
    match command {
        CommandKind::Summary => "summary",
        CommandKind::Check => "check",
        CommandKind::Compare => "compare",
    }
}

fn header(out: &mut String, report: &Report, title: &str) {
    let (class, word) = match report.verdict {
        Some(Verdict::Pass) => ("v-pass", "pass"),
        Some(Verdict::Warn) => ("v-warn", "warn"),
        Some(Verdict::Fail) => ("v-fail", "fail"),
        None => ("v-none", "summary"),
    };
    let _ = writeln!(
        out,
        "<h1>{title} <span class=\"verdict {class}\" id=\"verdict\">{word}</span></h1>"
    );
    if report.verdict.is_some() {
        let _ = writeln!(
            out,
            "<p class=\"muted\">{} failed, {} warned.</p>",
            report.count_severity(Severity::Fail),
            report.count_severity(Severity::Warn)
        );
    }
    out.push_str("<ul class=\"inputs muted\">");
    for input in &report.inputs {
        let side = input
            .side
            .as_deref()
            .map(|s| format!("{s}: "))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<li>{}{} ({} calls{})</li>",
            escape::xml(&side),
            escape::xml(&input.source),
            input.spans,
            if input.incomplete { ", incomplete" } else { "" }
        );
        for w in &input.warnings {
            let _ = write!(out, "<li class=\"warn\">{}</li>", escape::xml(w));
        }
    }
    out.push_str("</ul>\n");
}

/// The root causes, largest first, each with its distribution plot.
fn causes(out: &mut String, report: &Report, c: &Comparison) {
    out.push_str("<h2>Causes</h2>\n");
    if c.causes.is_empty() {
        out.push_str("<p id=\"no-causes\">No regression.</p>\n");
    }
    for (i, cause) in c.causes.iter().enumerate() {
        let sentence = text::cause_sentence(cause, c.metric);
        let location = text::location(&cause.file, cause.line)
            .map(|l| format!(" <span class=\"muted\">{}</span>", escape::xml(&l)))
            .unwrap_or_default();
        let symptoms = if cause.symptoms.is_empty() {
            String::new()
        } else {
            format!(
                "<br><span class=\"muted\">Explains: {}</span>",
                escape::xml(&cause.symptoms.join(", "))
            )
        };
        let _ = write!(
            out,
            "<div class=\"cause\" id=\"cause-{i}\"><p><span class=\"fail\">{}</span> \
             <span class=\"muted\">(+{} per run)</span>{location}{symptoms}</p>",
            escape::xml(&sentence),
            human_us(cause.added_per_run_us),
        );
        if let Some(d) = report
            .pictures
            .distributions
            .iter()
            .find(|d| d.operation == cause.operation)
        {
            histogram(out, d);
        }
        out.push_str("</div>\n");
    }
    if let Some(note) = text::environment_note(c) {
        let _ = writeln!(out, "<p class=\"muted\">{}</p>", escape::xml(&note));
    }
    if let Some(problem) = text::coverage_problem(c) {
        let _ = writeln!(out, "<p class=\"fail\">{}</p>", escape::xml(&problem));
    }
}

const PLOT_W: f64 = 380.0;
const PLOT_H: f64 = 120.0;
const PLOT_BINS: usize = 24;

/// A before (blue) / after (red) histogram of call durations on a shared logarithmic axis,
/// each side as a share of its calls.
fn histogram(out: &mut String, d: &Distribution) {
    let positive = d
        .before_us
        .iter()
        .chain(&d.after_us)
        .copied()
        .filter(|v| *v > 0.0 && v.is_finite());
    let (lo, hi) = positive.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let _ = write!(
        out,
        "<svg class=\"dist\" width=\"{PLOT_W}\" height=\"{}\" viewBox=\"0 0 {PLOT_W} {}\" \
         role=\"img\" xmlns=\"http://www.w3.org/2000/svg\"><title>Call durations of {}: before \
         {} calls, after {} calls</title>",
        PLOT_H + 34.0,
        PLOT_H + 34.0,
        escape::xml(&d.operation),
        d.before_calls,
        d.after_calls
    );
    if lo.is_finite() && hi > 0.0 {
        let (llo, lhi) = (lo.ln(), (hi * 1.0001).ln().max(lo.ln() + 1e-9));
        let bin = |v: f64| {
            let k = ((v.max(lo).ln() - llo) / (lhi - llo) * PLOT_BINS as f64) as usize;
            k.min(PLOT_BINS - 1)
        };
        let share = |values: &[f64]| {
            let mut counts = [0.0f64; PLOT_BINS];
            for &v in values {
                counts[bin(v)] += 1.0;
            }
            let n = values.len().max(1) as f64;
            counts.map(|c| c / n)
        };
        let (before, after) = (share(&d.before_us), share(&d.after_us));
        let top = before.iter().chain(&after).fold(0.0f64, |m, &v| m.max(v));
        let width = PLOT_W / PLOT_BINS as f64;
        for (side, shares, fill) in [("before", &before, "#0969da"), ("after", &after, "#cf222e")] {
            for (k, &s) in shares.iter().enumerate().filter(|(_, s)| **s > 0.0) {
                let h = s / top * (PLOT_H - 4.0);
                let _ = write!(
                    out,
                    "<rect class=\"{side}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" \
                     height=\"{h:.1}\" fill=\"{fill}\" fill-opacity=\"0.55\"/>",
                    k as f64 * width,
                    PLOT_H - h,
                    width - 1.0
                );
            }
        }
        let _ = write!(
            out,
            "<line x1=\"0\" y1=\"{PLOT_H}\" x2=\"{PLOT_W}\" y2=\"{PLOT_H}\" stroke=\"#57606a\"/>\
             <text x=\"0\" y=\"{}\" font-size=\"11\" fill=\"#57606a\">{}</text>\
             <text x=\"{PLOT_W}\" y=\"{}\" font-size=\"11\" fill=\"#57606a\" \
             text-anchor=\"end\">{} (log scale)</text>",
            PLOT_H + 13.0,
            human_us(lo),
            PLOT_H + 13.0,
            human_us(hi)
        );
    }
    let median = |v: &[f64]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            human_us(v[v.len() / 2])
        }
    };
    let _ = write!(
        out,
        "<text x=\"0\" y=\"{}\" font-size=\"11\"><tspan fill=\"#0969da\">■ before: {} calls, \
         median {}</tspan>  <tspan fill=\"#cf222e\">■ after: {} calls, median {}</tspan>\
         </text></svg>",
        PLOT_H + 29.0,
        d.before_calls,
        median(&d.before_us),
        d.after_calls,
        median(&d.after_us)
    );
}

fn findings(out: &mut String, findings: &[Finding]) {
    if findings.is_empty() {
        return;
    }
    out.push_str("<h2>Red flags</h2>\n<ul class=\"plain\" id=\"findings\">");
    for f in findings {
        let class = severity_class(Some(f.severity));
        let _ = write!(
            out,
            "<li><span class=\"{class}\">{}</span></li>",
            escape::xml(&text::finding_sentence(f))
        );
    }
    out.push_str("</ul>\n");
}

fn budgets(out: &mut String, budgets: &[BudgetResult]) {
    if budgets.is_empty() {
        return;
    }
    out.push_str("<h2>Budgets</h2>\n<ul class=\"plain\" id=\"budgets\">");
    for b in budgets {
        let _ = write!(
            out,
            "<li><span class=\"{}\">{}</span></li>",
            severity_class(b.severity),
            escape::xml(&text::budget_line(b))
        );
    }
    out.push_str("</ul>\n");
}

fn severity_class(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Fail) => "fail",
        Some(Severity::Warn) => "warn",
        None => "",
    }
}

/// The filters above a table of operations.
fn filters(out: &mut String, rows: usize) {
    let _ = writeln!(
        out,
        "<div class=\"filters\"><label>Code: <select id=\"origin\">\
         <option value=\"all\">all</option><option value=\"own\">own code</option>\
         <option value=\"library\">library</option><option value=\"unknown\">unknown</option>\
         </select></label><label>Name: <input id=\"search\" type=\"search\" \
         placeholder=\"filter by name\"></label><span class=\"muted\"><span id=\"shown\">{rows}\
         </span> of {rows} operations; click a column to sort</span></div>"
    );
}

fn origin_name(o: Origin) -> &'static str {
    match o {
        Origin::Own => "own",
        Origin::Library => "library",
        Origin::Unknown => "unknown",
    }
}

/// A numeric cell: shown as people read it, sorted by its value.
fn num_cell(out: &mut String, value: Option<f64>, shown: &str) {
    let v = value.filter(|v| v.is_finite()).unwrap_or(f64::NAN);
    let _ = write!(out, "<td data-v=\"{v}\">{}</td>", escape::xml(shown));
}

fn operations_table(out: &mut String, ops: &[OpStats]) {
    if ops.is_empty() {
        return;
    }
    out.push_str("<h2>Operations</h2>\n");
    filters(out, ops.len());
    out.push_str(
        "<table class=\"sortable filtered\" id=\"operations\"><thead><tr>\
         <th class=\"name\">operation</th><th>code</th><th>calls</th><th>total</th><th>self</th>\
         <th>mean</th><th>p50</th><th>p95</th><th>max</th></tr></thead><tbody>\n",
    );
    for o in ops {
        let origin = origin_name(o.origin);
        let _ = write!(
            out,
            "<tr data-origin=\"{origin}\"><td class=\"name\">{}</td><td>{origin}</td>",
            escape::xml(&o.name)
        );
        num_cell(out, Some(o.count as f64), &o.count.to_string());
        for v in [
            o.total_us, o.self_us, o.mean_us, o.p50_us, o.p95_us, o.max_us,
        ] {
            num_cell(out, Some(v), &human_us(v));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

fn comparison_table(out: &mut String, c: &Comparison) {
    if c.operations.is_empty() {
        return;
    }
    let metric = c.metric.as_str();
    let _ = writeln!(
        out,
        "<h2>Operations</h2>\n<p class=\"muted\">Compared on {metric}; threshold {}%, noise \
         floor {}, α {}; {} run(s) before, {} after.</p>",
        c.threshold_pct,
        human_us(c.noise_floor_us),
        c.alpha,
        c.before_runs,
        c.after_runs
    );
    filters(out, c.operations.len());
    let _ = writeln!(
        out,
        "<table class=\"sortable filtered\" id=\"operations\"><thead><tr>\
         <th class=\"name\">operation</th><th>code</th><th>status</th><th>before {metric}</th>\
         <th>after {metric}</th><th>change</th><th>change %</th><th>calls/run before</th>\
         <th>calls/run after</th><th>p</th></tr></thead><tbody>"
    );
    for o in &c.operations {
        change_row(out, o);
    }
    out.push_str("</tbody></table>\n");
}

fn change_row(out: &mut String, o: &OpChange) {
    let origin = origin_name(o.origin);
    let class = match o.status {
        ChangeStatus::Regressed => "regressed",
        ChangeStatus::Improved => "improved",
        _ => "",
    };
    let _ = write!(
        out,
        "<tr class=\"{class}\" data-origin=\"{origin}\"><td class=\"name\">{}</td><td>{origin}\
         </td><td class=\"status {}\">{}</td>",
        escape::xml(&o.name),
        severity_class(o.severity),
        text::line_status(o)
    );
    let value = |s: &Option<crate::outcome::SideFigures>| s.as_ref().map(|f| f.value_us);
    let shown = |v: Option<f64>| v.map_or("-".to_string(), human_us);
    num_cell(out, value(&o.before), &shown(value(&o.before)));
    num_cell(out, value(&o.after), &shown(value(&o.after)));
    num_cell(out, o.delta_us, &o.delta_us.map_or("-".into(), signed_us));
    num_cell(
        out,
        o.delta_pct,
        &o.delta_pct.map_or("-".into(), signed_pct),
    );
    let per_run = |s: &Option<crate::outcome::SideFigures>| s.as_ref().map(|f| f.calls_per_run);
    let calls = |v: Option<f64>| v.map_or("-".to_string(), crate::outcome::units::fmt_num);
    num_cell(out, per_run(&o.before), &calls(per_run(&o.before)));
    num_cell(out, per_run(&o.after), &calls(per_run(&o.after)));
    num_cell(out, o.p_value, &o.p_value.map_or("-".into(), fmt_p));
    out.push_str("</tr>\n");
}

/// The flame graph in a frame of its own document, so its script (hover, zoom, search) runs
/// as in the standalone SVG.
fn flame(out: &mut String, report: &Report) {
    out.push_str("<h2>Flame graph</h2>\n");
    match &report.pictures.call_paths {
        Some(table) if !table.frames.is_empty() => {
            let svg = flamegraph::svg(table);
            let note = if table.before_runs.is_some() {
                "The after side's call tree; red frames spent more of their own time than \
                 before, blue less. Hover a frame for its figures, click to zoom."
            } else {
                "The call tree merged by call path; width is time per run. Hover a frame for \
                 its figures, click to zoom."
            };
            let _ = writeln!(
                out,
                "<p class=\"muted\">{note}</p><iframe class=\"flame\" id=\"flamegraph\" \
                 title=\"flame graph\" srcdoc=\"{}\"></iframe>",
                escape::xml(&svg)
            );
        }
        _ => {
            let why = report
                .pictures
                .call_paths_missing
                .as_deref()
                .unwrap_or("no call paths to draw");
            let _ = writeln!(out, "<p class=\"muted\">{}</p>", escape::xml(why));
        }
    }
}
