//! The Markdown renderer: a pull-request comment (and GitHub job summary).
//!
//! Layout: the hidden sticky-comment marker on the first line, a headline verdict, then one
//! section per part of the report: regressions and flags (with attribution), improvements,
//! unchanged operations folded in `<details>`, red-flag findings, budgets, and for `summary`
//! the operations table. Every piece of trace text goes through [`super::escape::markdown`].
//!
//! One size budget, applied here and nowhere else: the comment fits GitHub's [`MAX_CHARS`], the
//! job summary [`SUMMARY_MAX_BYTES`]. A piece of trace text longer than [`MAX_FIELD_CHARS`] (a
//! 1 MB operation name) is shortened in the middle first; then whole table rows are dropped
//! from the least important sections (summary operations, improvements, regressions that
//! follow from a cause, regressions, and budgets and red flags last), each section saying how
//! many rows it left out. Only a document that is still too long without any row is cut, at a
//! line, with what was open closed.

use super::escape::markdown as escape_markdown;
use super::location;
use super::text;
use crate::ops::{OpStats, Origin};
use crate::outcome::memory_change::MemoryChange;
use crate::outcome::units::{fmt_p, human_us, signed_pct, signed_us};
use crate::outcome::{
    BudgetResult, ChangeStatus, CommandKind, Comparison, Finding, OpChange, Report, Severity,
    Verdict,
};

/// GitHub's limit for a comment body, in characters.
pub const MAX_CHARS: usize = 65_536;

/// GitHub's limit for one step's job summary (`$GITHUB_STEP_SUMMARY`), in bytes.
pub const SUMMARY_MAX_BYTES: usize = 1024 * 1024;

/// Longest piece of trace text (a name, a message) put in a row; longer ones keep their start
/// and end around `…`.
pub const MAX_FIELD_CHARS: usize = 500;

/// Settings of the Markdown renderer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarkdownOptions {
    /// The sticky-comment id: the marker is `<!-- perfgate:ID -->`, or `<!-- perfgate -->`.
    pub comment_id: Option<String>,
    /// Length limit in characters; `None` means [`MAX_CHARS`].
    pub max_chars: Option<usize>,
    /// Length limit in bytes, instead of characters (the job summary's
    /// [`SUMMARY_MAX_BYTES`]).
    pub max_bytes: Option<usize>,
    /// GitHub mode: the URL the project's files are under at the commit judged
    /// (`https://github.com/OWNER/REPO/blob/SHA/`); locations of own code link to their line.
    pub source_links: Option<String>,
    /// Leave out the Mermaid charts of the causes (`--no-charts`).
    pub no_charts: bool,
}

/// How the size budget counts.
#[derive(Debug, Clone, Copy)]
enum Budget {
    Chars(usize),
    Bytes(usize),
}

impl Budget {
    fn of(options: &MarkdownOptions) -> Budget {
        match options.max_bytes {
            Some(b) => Budget::Bytes(b),
            None => Budget::Chars(options.max_chars.unwrap_or(MAX_CHARS)),
        }
    }
    fn limit(self) -> usize {
        match self {
            Budget::Chars(n) | Budget::Bytes(n) => n,
        }
    }
    fn size(self, s: &str) -> usize {
        match self {
            Budget::Chars(_) => s.chars().count(),
            Budget::Bytes(_) => s.len(),
        }
    }
}

/// Escapes trace text for Markdown, shortened to [`MAX_FIELD_CHARS`] first: one oversized name
/// must cost its own row some characters, not the budgets and red flags their rows.
fn esc(s: &str) -> String {
    escape_markdown(&super::escape::shorten(s, MAX_FIELD_CHARS))
}

/// `s` itself, or its start and end around `…` with the length it had.
/// The hidden marker a workflow searches for to update one sticky comment.
pub fn marker(comment_id: Option<&str>) -> String {
    match comment_id {
        Some(id) => format!("<!-- perfgate:{id} -->"),
        None => "<!-- perfgate -->".to_string(),
    }
}

/// Whether `id` is usable in the marker: letters, digits, `.`, `_`, `-` (nothing that could
/// close the HTML comment).
pub fn valid_comment_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// One block of the document; tables can lose rows to stay under the limit.
struct Section {
    /// Markdown before the table (heading, sentence, `<details>` opening).
    intro: String,
    /// Header and delimiter rows; empty for a section without a table.
    header: String,
    rows: Vec<String>,
    /// Markdown after the table (`</details>`).
    outro: String,
    /// Lower loses rows first.
    priority: u8,
    omitted: usize,
}

impl Section {
    fn text(intro: String) -> Self {
        Section::table(intro, &[], Vec::new(), u8::MAX)
    }

    fn table(intro: String, columns: &[&str], rows: Vec<String>, priority: u8) -> Self {
        let header = if columns.is_empty() {
            String::new()
        } else {
            let delims: Vec<&str> = columns
                .iter()
                .map(|c| if c.starts_with('>') { "---:" } else { "---" })
                .collect();
            let names: Vec<&str> = columns.iter().map(|c| c.trim_start_matches('>')).collect();
            format!("| {} |\n| {} |\n", names.join(" | "), delims.join(" | "))
        };
        Section {
            intro,
            header,
            rows,
            outro: String::new(),
            priority,
            omitted: 0,
        }
    }

    fn render(&self) -> String {
        let mut out = self.intro.clone();
        if !self.rows.is_empty() {
            out.push_str(&self.header);
            for row in &self.rows {
                out.push_str(row);
                out.push('\n');
            }
        }
        out.push_str(&self.note());
        out.push_str(&self.outro);
        out
    }

    fn note(&self) -> String {
        if self.omitted == 0 {
            return String::new();
        }
        format!(
            "\n_{} more row(s) left out to fit GitHub's size limit; the JSON report has them all._\n",
            self.omitted
        )
    }

    /// The size of [`Section::render`] when its rows measure `rows` (each with its line break).
    fn size(&self, rows: usize, budget: Budget) -> usize {
        let header = if self.rows.is_empty() {
            0
        } else {
            budget.size(&self.header)
        };
        budget.size(&self.intro)
            + header
            + rows
            + budget.size(&self.note())
            + budget.size(&self.outro)
    }
}

/// Renders the report as Markdown.
/// `--format markdown`, `--markdown FILE`.
pub struct Markdown;

impl super::Renderer for Markdown {
    fn name(&self) -> &'static str {
        "markdown"
    }

    fn help(&self) -> &'static str {
        "Markdown for a pull-request comment or job summary"
    }

    fn file_help(&self) -> &'static str {
        "Also write the Markdown PR comment to FILE"
    }

    fn render(&self, report: &Report, settings: &super::RenderSettings) -> String {
        render(report, &settings.markdown)
    }
}

pub fn render(report: &Report, options: &MarkdownOptions) -> String {
    let budget = Budget::of(options);
    let mut sections = sections(report, options, !options.no_charts);
    fit(&mut sections, budget);
    // The charts repeat what the rows say: they are the first thing left out.
    if !options.no_charts && !fits_whole(&sections, budget) {
        sections = self::sections(report, options, false);
        fit(&mut sections, budget);
    }
    let out = sections
        .iter()
        .map(Section::render)
        .collect::<Vec<_>>()
        .join("\n");
    cut(out, budget)
}

/// Whether every row is kept and nothing is left to cut.
fn fits_whole(sections: &[Section], budget: Budget) -> bool {
    let size: usize = sections
        .iter()
        .map(|s| budget.size(&s.render()))
        .sum::<usize>()
        + sections.len().saturating_sub(1);
    sections.iter().all(|s| s.omitted == 0) && size <= budget.limit()
}

/// The document's sections, the charts of the causes with them when `charts`.
fn sections(report: &Report, options: &MarkdownOptions, charts: bool) -> Vec<Section> {
    let mut sections = vec![Section::text(format!(
        "{}\n{}\n{}",
        marker(options.comment_id.as_deref()),
        headline(report, options.source_links.as_deref()),
        input_warnings(report)
    ))];
    if let Some(c) = &report.comparison {
        if charts && let Some(md) = super::chart::causes_charts(c) {
            sections.push(Section::text(md));
        }
        comparison_sections(c, &mut sections, options.source_links.as_deref());
        if let Some(m) = &c.memory {
            sections.push(memory_section(m));
        }
        if let Some(p) = &report.paired {
            let line = esc(&super::text::paired_line(p));
            sections.push(Section::text(format!("{line}\n")));
        }
    }
    let links = options.source_links.as_deref();
    if !report.findings.is_empty() {
        sections.push(findings_section(&report.findings, links));
    }
    if !report.budgets.is_empty() {
        sections.push(budgets_section(&report.budgets, links));
    }
    if report.command == CommandKind::Summary && !report.operations.is_empty() {
        operations_sections(&report.operations, &mut sections);
    }
    sections.push(Section::text(inputs_line(report)));
    sections
}

/// Drops rows, least important section first and last row first, until the body fits. The
/// sizes are kept exactly (rows, headers, the notes on left-out rows), so nothing is dropped
/// that fits and nothing is left to cut.
fn fit(sections: &mut [Section], budget: Budget) {
    let mut rows: Vec<usize> = sections
        .iter()
        .map(|s| s.rows.iter().map(|r| budget.size(r) + 1).sum())
        .collect();
    let mut sizes: Vec<usize> = sections
        .iter()
        .zip(&rows)
        .map(|(s, &r)| s.size(r, budget))
        .collect();
    // The sections are joined by line breaks.
    let mut total: usize = sizes.iter().sum::<usize>() + sections.len().saturating_sub(1);
    while total > budget.limit() {
        let Some(i) = (0..sections.len())
            .filter(|&i| !sections[i].rows.is_empty())
            .min_by_key(|&i| sections[i].priority)
        else {
            break;
        };
        let section = &mut sections[i];
        let row = section.rows.pop().expect("filtered on non-empty rows");
        section.omitted += 1;
        rows[i] -= budget.size(&row) + 1;
        let size = section.size(rows[i], budget);
        total = total - sizes[i] + size;
        sizes[i] = size;
    }
}

/// The last resort, for a document too long without any table row (thousands of causes or
/// input warnings): cut at a line, close what the cut left open, say so.
fn cut(out: String, budget: Budget) -> String {
    if budget.size(&out) <= budget.limit() {
        return out;
    }
    const NOTE: &str = "\n\n_(cut to fit GitHub's size limit: the JSON report has everything)_\n";
    // Room for the note and the closing tags.
    let room = budget.limit().saturating_sub(budget.size(NOTE) + 200);
    let mut kept = String::new();
    let mut size = 0;
    for line in out.split_inclusive('\n') {
        let n = budget.size(line);
        if size + n > room {
            break;
        }
        kept.push_str(line);
        size += n;
    }
    let opened = kept.matches("<details>").count();
    let closed = kept.matches("</details>").count();
    for _ in closed..opened.max(closed) {
        kept.push_str("\n</details>\n");
    }
    kept.push_str(NOTE);
    kept
}

fn headline(report: &Report, links: Option<&str>) -> String {
    let (mark, word) = match report.verdict {
        None => return "## perfgate summary".into(),
        Some(Verdict::Pass) => ("✅", "pass"),
        Some(Verdict::Warn) => ("⚠️", "pass with warnings"),
        Some(Verdict::Fail) => ("❌", "fail"),
    };
    let mut counts = Vec::new();
    if let Some(c) = &report.comparison {
        let n = |s: ChangeStatus| c.operations.iter().filter(|o| o.status == s).count();
        counts.push(format!("{} regressed", n(ChangeStatus::Regressed)));
        counts.push(format!("{} improved", n(ChangeStatus::Improved)));
    }
    if !report.findings.is_empty() {
        // Slow calls are warnings by default: "3 red flags" under a fail headline would
        // overstate them.
        let failing = report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Fail)
            .count();
        let mut flags = format!("{} red flag(s)", report.findings.len());
        if failing < report.findings.len() {
            flags.push_str(&format!(", {failing} failing"));
        }
        counts.push(flags);
    }
    if !report.budgets.is_empty() {
        let flagged = report
            .budgets
            .iter()
            .filter(|b| b.severity == Some(Severity::Fail))
            .count();
        let acceptable = report
            .budgets
            .iter()
            .filter(|b| b.severity == Some(Severity::Warn))
            .count();
        let mut budgets = format!("{flagged} of {} budget(s) failed", report.budgets.len());
        if acceptable > 0 {
            budgets.push_str(&format!(", {acceptable} with a warning"));
        }
        counts.push(budgets);
    }
    let mut out = format!("## {mark} perfgate: {word}");
    let incomplete: Vec<String> = report
        .incomplete_inputs()
        .map(|i| format!("`{}`", i.source.replace('`', "'")))
        .collect();
    if !incomplete.is_empty() {
        out.push_str(&format!(
            " — incomplete input (calls missing): {}",
            incomplete.join(", ")
        ));
    }
    if !counts.is_empty() {
        out.push_str(&format!("\n\n{}", counts.join(" · ")));
    }
    if let Some(c) = &report.comparison {
        if let Some(problem) = text::coverage_problem(c) {
            out.push_str(&format!("\n\n> ❌ {}", esc(&problem)));
        }
        if let Some(note) = text::environment_note(c) {
            out.push_str(&format!("\n\n> ℹ️ {}", esc(&note)));
        }
        out.push_str(&causes_list(c, links));
    }
    out
}

/// The root causes, one line each, before any table: what a reviewer reads in ten seconds.
fn causes_list(c: &Comparison, links: Option<&str>) -> String {
    if c.causes.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n\n**Cause(s):**\n");
    for cause in &c.causes {
        let mut line = format!(
            "\n- ❌ {}{}",
            esc(&text::cause_sentence(cause, c.metric)),
            own_location(&cause.file, cause.line, cause.origin, links).replace("<br>", " ")
        );
        if cause.added_per_run_us > 0.0 {
            line.push_str(&format!(
                " · {} per run",
                esc(&signed_us(cause.added_per_run_us))
            ));
        }
        if !cause.symptoms.is_empty() {
            let names: Vec<String> = cause.symptoms.iter().map(|s| esc(s)).collect();
            line.push_str(&format!(
                "<br><sub>also regressed because of it: {}</sub>",
                names.join(", ")
            ));
        }
        out.push_str(&line);
    }
    out
}

fn mark(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Fail) => "❌",
        Some(Severity::Warn) => "⚠️",
        None => "✅",
    }
}

fn cell_us(v: Option<f64>) -> String {
    v.map_or("-".into(), human_us)
}

fn comparison_sections(c: &Comparison, sections: &mut Vec<Section>, links: Option<&str>) {
    let settings = format!(
        "Metric **{}**, threshold {}%, noise floor {}, α = {}, {} run(s) before, {} after.\n",
        esc(c.metric.as_str()),
        c.threshold_pct,
        human_us(c.noise_floor_us),
        c.alpha,
        c.before_runs,
        c.after_runs
    );
    // Regressions that follow from a cause are listed under it in the headline.
    let flagged: Vec<&OpChange> = c
        .operations
        .iter()
        .filter(|o| o.severity.is_some() && o.explained_by.is_none())
        .collect();
    let followers: Vec<&OpChange> = c
        .operations
        .iter()
        .filter(|o| o.severity.is_some() && o.explained_by.is_some())
        .collect();
    let improved: Vec<&OpChange> = c
        .operations
        .iter()
        .filter(|o| o.severity.is_none() && o.status == ChangeStatus::Improved)
        .collect();
    let rest: Vec<&OpChange> = c
        .operations
        .iter()
        .filter(|o| o.severity.is_none() && o.status != ChangeStatus::Improved)
        .collect();
    let columns = ["", "Operation", ">Before", ">After", ">Change", ">p", "Why"];
    let flagged_intro = if flagged.is_empty() {
        format!("### Regressions\n\nNo operation regressed. {settings}")
    } else {
        format!("### Regressions and flags\n\n{settings}\n")
    };
    sections.push(Section::table(
        flagged_intro,
        &columns,
        flagged
            .iter()
            .map(|o| change_row(o, c, true, links))
            .collect(),
        5,
    ));
    if !followers.is_empty() {
        let mut s = Section::table(
            format!(
                "<details>\n<summary>Regressions that follow from the causes ({})</summary>\n\n",
                followers.len()
            ),
            &columns,
            followers
                .iter()
                .map(|o| change_row(o, c, true, links))
                .collect(),
            3,
        );
        s.outro = "\n</details>\n".into();
        sections.push(s);
    }
    if !improved.is_empty() {
        sections.push(Section::table(
            "### Improvements\n\n".into(),
            &columns,
            improved
                .iter()
                .map(|o| change_row(o, c, false, links))
                .collect(),
            2,
        ));
    }
    if !rest.is_empty() {
        sections.push(Section::text(rest_line(&rest)));
    }
}

/// Garbage collection and counters before and after, folded: informational, so the first
/// rows a long comment loses.
fn memory_section(m: &MemoryChange) -> Section {
    let rows = text::memory_rows(m)
        .into_iter()
        .map(|r| {
            format!(
                "| {} | {} | {} | {} |",
                esc(&r.what),
                esc(&r.before),
                esc(&r.after),
                esc(&r.change)
            )
        })
        .collect();
    let mut s = Section::table(
        format!(
            "<details>\n<summary>Memory ({})</summary>\n\n",
            text::MEMORY_NOTE
        ),
        &["", ">Before", ">After", ">Change"],
        rows,
        1,
    );
    s.outro = "\n</details>\n".into();
    s
}

/// The operations that neither regressed nor improved, counted: their rows are in the JSON
/// report, not in a comment a reviewer reads.
fn rest_line(rest: &[&OpChange]) -> String {
    let n = |s: ChangeStatus| rest.iter().filter(|o| o.status == s).count();
    let parts: Vec<String> = [
        (n(ChangeStatus::Unchanged), "unchanged"),
        (
            n(ChangeStatus::NotEnoughSamples),
            "with too few calls to test",
        ),
        (n(ChangeStatus::Added), "added"),
        (n(ChangeStatus::Removed), "removed"),
    ]
    .into_iter()
    .filter(|(count, _)| *count > 0)
    .map(|(count, what)| format!("{count} {what}"))
    .collect();
    format!(
        "Other operations: {} (every row is in the JSON report, `--json FILE`).\n",
        parts.join(", ")
    )
}

fn change_row(o: &OpChange, c: &Comparison, with_attribution: bool, links: Option<&str>) -> String {
    let mut why = esc(&text::reason(o, c));
    if with_attribution && let Some(split) = text::attribution(o, 3) {
        why.push_str(&format!("<br>**Attribution:** {}", esc(&split)));
    }
    let mut change = esc(&match (o.delta_us, o.delta_pct) {
        (Some(d), Some(p)) => format!("{} ({})", signed_us(d), signed_pct(p)),
        (Some(d), None) => signed_us(d),
        _ => "-".into(),
    });
    // A call-count regression has a small per-call change: without the counts next to it
    // the ❌ looks like a mistake.
    if o.count_regressed {
        change.push_str(&format!("<br>calls/run {}", esc(&text::calls_per_run(o))));
    }
    let p = o.p_value.map_or("-".into(), fmt_p);
    format!(
        "| {} | {}{} | {} | {} | {} | {} | {} |",
        mark(o.severity),
        esc(&o.name),
        own_location(&o.file, o.line, o.origin, links),
        cell_us(o.before.as_ref().map(|f| f.value_us)),
        cell_us(o.after.as_ref().map(|f| f.value_us)),
        change,
        esc(&p),
        why
    )
}

/// [`location_suffix`], linked to the line on the server (`links`, GitHub mode) when the
/// operation is the project's own code: `<br><sub><a href="…/blob/SHA/app/db.py#L42">app/db.py:42</a></sub>`.
/// Library and unknown locations are module paths, not files of the repository: not linked.
fn own_location(
    file: &Option<String>,
    line: Option<u32>,
    origin: Origin,
    links: Option<&str>,
) -> String {
    let (Some(base), Some(path), Some(n)) = (
        links,
        location::repository_file(file.as_deref(), origin),
        line,
    ) else {
        return location_suffix(file, line);
    };
    format!(
        "<br><sub><a href=\"{base}{}#L{n}\">{}</a></sub>",
        location::uri_path(path),
        esc(&format!("{path}:{n}"))
    )
}

/// `<br><sub>diagnostic.py:42</sub>` under a name, when the location is known.
fn location_suffix(file: &Option<String>, line: Option<u32>) -> String {
    text::location(file, line).map_or(String::new(), |l| format!("<br><sub>{}</sub>", esc(&l)))
}

fn findings_section(findings: &[Finding], links: Option<&str>) -> Section {
    let rows = findings
        .iter()
        .map(|f| {
            format!(
                "| {} | {} | {}{} | {} | {} | {} |",
                mark(Some(f.severity)),
                esc(text::finding_kind(f)),
                esc(&f.operation),
                own_location(&f.file, f.line, f.origin, links),
                text::finding_calls(f),
                human_us(f.total_us),
                esc(&text::finding_sentence(f))
            )
        })
        .collect();
    Section::table(
        "### Red flags\n\n".into(),
        &[
            "",
            "Red flag",
            "Operation",
            ">Calls (× parent calls)",
            ">Time",
            "Details",
        ],
        rows,
        // Never before a regression row.
        6,
    )
}

fn budgets_section(budgets: &[BudgetResult], links: Option<&str>) -> Section {
    // Failing and warning budgets first so a cut keeps them.
    let mut ordered: Vec<&BudgetResult> = budgets.iter().collect();
    ordered.sort_by_key(|b| std::cmp::Reverse(b.severity));
    let rows = ordered
        .iter()
        .map(|b| {
            format!(
                "| {} | {}{} | {} | {} | {} | {} | {} |",
                mark(b.severity),
                esc(&b.name),
                budget_suffix(b, links),
                esc(&b.metric),
                b.value
                    .map_or("-".into(), |v| text::budget_value(b.unit, v)),
                text::budget_target_cell(b),
                text::budget_threshold(b.unit, b.flag),
                text::budget_status(b.status)
            )
        })
        .collect();
    Section::table(
        "### Budgets\n\n".into(),
        &[
            "", "Budget", "Metric", ">Value", ">Target", ">Flag", "Status",
        ],
        rows,
        // Never before a regression row.
        6,
    )
}

/// Under a budget's name: where its operation is (linked when it is own code, see
/// [`own_location`]), or, when nothing matched, what it looked for.
fn budget_suffix(b: &BudgetResult, links: Option<&str>) -> String {
    if b.operations.is_empty() {
        format!("<br><sub>no call matches {}</sub>", esc(&b.pattern))
    } else {
        own_location(&b.file, b.line, b.origin, links)
    }
}

/// Operations shown in the open before the rest is folded.
const OPEN_OPERATIONS: usize = 20;

const OPERATION_COLUMNS: [&str; 7] = [
    "Operation",
    ">Calls",
    ">Total",
    ">Self",
    ">Mean",
    ">p95",
    ">Max",
];

/// The first operations in a table, the rest folded in `<details>`.
fn operations_sections(ops: &[OpStats], sections: &mut Vec<Section>) {
    let (open, folded) = ops.split_at(OPEN_OPERATIONS.min(ops.len()));
    sections.push(Section::table(
        "### Operations\n\n".into(),
        &OPERATION_COLUMNS,
        open.iter().map(operation_row).collect(),
        1,
    ));
    if !folded.is_empty() {
        let mut s = Section::table(
            format!(
                "<details>\n<summary>{} more operations</summary>\n\n",
                folded.len()
            ),
            &OPERATION_COLUMNS,
            folded.iter().map(operation_row).collect(),
            0,
        );
        s.outro = "\n</details>\n".into();
        sections.push(s);
    }
}

fn operation_row(s: &OpStats) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {} | {} |",
        esc(&s.name),
        s.count,
        human_us(s.total_us),
        human_us(s.self_us),
        human_us(s.mean_us),
        human_us(s.p95_us),
        human_us(s.max_us)
    )
}

fn inputs_line(report: &Report) -> String {
    let inputs: Vec<String> = report
        .inputs
        .iter()
        .map(|i| {
            let side = i
                .side
                .as_ref()
                .map_or(String::new(), |s| format!("{} ", esc(s)));
            format!("{side}{} ({} spans)", esc(&i.source), i.spans)
        })
        .collect();
    format!("<sub>Traces: {}</sub>\n", inputs.join(", "))
}

/// What was odd about the traces (a truncated file, dropped events), right under the headline:
/// a pass computed from half a trace must not read like a plain pass.
fn input_warnings(report: &Report) -> String {
    let mut out = String::new();
    for input in &report.inputs {
        // The side tells the two apart when one file is compared with itself or a rerun.
        let side = input
            .side
            .as_ref()
            .map_or(String::new(), |s| format!(" ({})", esc(s)));
        for w in &input.warnings {
            out.push_str(&format!(
                "\n> ⚠️ {}{side}: {}\n",
                esc(&input.source),
                esc(w)
            ));
        }
    }
    out
}
