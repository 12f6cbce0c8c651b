//! The JSON renderer: the report model serialized as it is (see [`crate::outcome`] for the
//! schema), pretty-printed, with a trailing newline, streamed to its writer (a report of
//! millions of operations is never held whole as text).

use std::io::{self, Write};

use serde_json::ser::{Formatter, PrettyFormatter};

use crate::outcome::{Report, SCHEMA_VERSION};

/// The report as JSON text (tests, and callers that need the text itself).
pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Writes the report as JSON into `out`.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_value(report, out)
}

/// Writes any value as the report is written (pretty, neutral to workflow commands, a
/// trailing newline).
fn write_value<T: serde::Serialize + ?Sized>(value: &T, out: &mut dyn Write) -> io::Result<()> {
    // A buffer of its own: serde_json writes a few bytes at a time, and a concrete buffer
    // takes them without a call through `dyn Write` each.
    let mut buffered = io::BufWriter::with_capacity(1 << 16, out);
    let mut serializer = serde_json::Serializer::with_formatter(
        &mut buffered,
        NeutralFormatter(PrettyFormatter::new()),
    );
    value.serialize(&mut serializer).map_err(io::Error::from)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

/// serde_json's pretty layout, with `##[` inside strings written `#\u0023[`: the string
/// decodes to the same text, and the runner does not take the line for a workflow command if
/// the JSON is printed into a log. A string is written in fragments split only at escaped
/// characters, and `##[` has none, so no `##[` can span two fragments; outside strings JSON
/// has no `#`.
struct NeutralFormatter<'a>(PrettyFormatter<'a>);

impl Formatter for NeutralFormatter<'_> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        if memchr::memchr(b'#', rest.as_bytes()).is_none() {
            return w.write_all(rest.as_bytes());
        }
        while let Some(at) = rest.find("##[") {
            w.write_all(&rest.as_bytes()[..at])?;
            w.write_all(b"#\\u0023[")?;
            rest = &rest[at + 3..];
        }
        w.write_all(rest.as_bytes())
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// `--format json`, `--json FILE`.
pub struct Json;

impl super::Renderer for Json {
    fn name(&self) -> &'static str {
        "json"
    }

    fn help(&self) -> &'static str {
        "The versioned JSON report (see docs/reports.md)"
    }

    fn file_help(&self) -> &'static str {
        "Also write the JSON report to FILE"
    }

    fn render(&self, report: &Report, _: &super::RenderSettings) -> String {
        render(report)
    }

    fn write(
        &self,
        report: &Report,
        _: &super::RenderSettings,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        write(report, out)
    }
}

/// The JSON Schema (draft 2020-12) of the report, generated from the model's types: their doc
/// comments are its descriptions, and `schema_version` is pinned to [`SCHEMA_VERSION`]. The
/// committed copy is docs/schema/report.schema.json (a test keeps the two equal).
pub fn schema() -> String {
    // What perfgate writes (serialize contract): a field left out when empty is not required.
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let mut schema = generator.into_root_schema_for::<Report>().to_value();
    schema["title"] = format!("perfgate JSON report, schema_version {SCHEMA_VERSION}").into();
    schema["properties"]["schema_version"] = serde_json::json!({
        "description": "Version of this schema: it changes when a field is renamed or removed or changes meaning.",
        "const": SCHEMA_VERSION,
    });
    allow_null_numbers(&mut schema);
    let mut out = serde_json::to_string_pretty(&schema).expect("a schema always serializes");
    out.push('\n');
    out
}

/// serde_json writes a float that is not a number (NaN, infinite: a ratio of nothing) as
/// `null`, so every number of the schema may be null.
fn allow_null_numbers(schema: &mut serde_json::Value) {
    use serde_json::Value;
    match schema {
        Value::Object(map) => {
            if map.get("type") == Some(&Value::from("number")) {
                map.insert("type".into(), serde_json::json!(["number", "null"]));
            }
            map.values_mut().for_each(allow_null_numbers);
        }
        Value::Array(items) => items.iter_mut().for_each(allow_null_numbers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// What the renderer wrote before it streamed: the whole text, then every `##[` replaced.
    fn replaced_whole(value: &serde_json::Value) -> String {
        let text = serde_json::to_string_pretty(value).unwrap() + "\n";
        text.replace("##[", "#\\u0023[")
    }

    #[test]
    fn streamed_json_has_no_workflow_command_and_reads_back_the_same() {
        let names = [
            "plain ##[error]injected",
            "###[",
            "##[##[",
            "#[ and ## [ stay",
            "a \"##[\" in quotes\n##[group]after a line break",
            "##",
        ];
        let value = serde_json::json!({
            "operations": names.iter().map(|n| serde_json::json!({"name": n})).collect::<Vec<_>>(),
            "##[key]": 1,
        });
        let mut out = Vec::new();
        super::write_value(&value, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("##["), "{text}");
        assert_eq!(text, replaced_whole(&value));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    /// The committed schema is the one the types generate. Run with PERFGATE_UPDATE_SCHEMA=1
    /// to write it after changing the model (and raise SCHEMA_VERSION when a field is renamed
    /// or removed).
    #[test]
    fn the_committed_schema_is_generated_from_the_model() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema/report.schema.json");
        let generated = super::schema();
        if std::env::var_os("PERFGATE_UPDATE_SCHEMA").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{} differs from the schema the report model generates; regenerate it with \
             PERFGATE_UPDATE_SCHEMA=1 cargo test the_committed_schema",
            path.display()
        );
    }
}
