//! The JSON renderer: the report model serialized as it is (see [`crate::outcome`] for the
//! schema), pretty-printed, with a trailing newline.

use crate::outcome::{Report, SCHEMA_VERSION};

pub fn render(report: &Report) -> String {
    let mut out = serde_json::to_string_pretty(report).expect("the report model always serializes");
    out.push('\n');
    // `##[` only occurs inside strings here; `\u0023` decodes back to `#`, and the runner
    // does not take the line for a workflow command if the JSON is printed into a log.
    if out.contains("##[") {
        out = out.replace("##[", "#\\u0023[");
    }
    out
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
