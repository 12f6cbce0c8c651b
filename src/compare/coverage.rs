//! Coverage: did the after side measure what the before side measured? A tracer filter that
//! went wrong (viztracer `--include_files` pointing nowhere, a test that no longer runs the
//! traced code) leaves an after trace with almost nothing in it, which compares as "nothing
//! regressed". Judged on the operations of the project's own code when the traces have any
//! (libraries come and go with versions), else on every operation.

use crate::ops::{Origin, Profile};
use crate::outcome::{Coverage, Severity};

/// How much of `before` the `after` side still measured; fails below `min_share`.
pub fn coverage(before: &Profile, after: &Profile, min_share: f64) -> Coverage {
    let own = |p: &Profile, key: &str| {
        p.operations
            .get(key)
            .is_some_and(|op| op.origin == Origin::Own && op.file.is_some())
    };
    let own_keys: Vec<&String> = before
        .operations
        .keys()
        .filter(|k| own(before, k))
        .collect();
    let keys: Vec<&String> = if own_keys.is_empty() {
        before.operations.keys().collect()
    } else {
        own_keys
    };
    let measured = keys
        .iter()
        .filter(|k| after.operations.contains_key(k.as_str()))
        .count();
    let share = if keys.is_empty() {
        1.0
    } else {
        measured as f64 / keys.len() as f64
    };
    Coverage {
        before_operations: keys.len() as u64,
        after_measured: measured as u64,
        share,
        min_share,
        severity: (share < min_share).then_some(Severity::Fail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::OpProfile;

    fn profile(keys: &[(&str, Origin)]) -> Profile {
        Profile {
            runs: 1,
            operations: keys
                .iter()
                .map(|(k, origin)| {
                    let op = OpProfile {
                        function: k.to_string(),
                        file: Some(format!("{k}.py")),
                        origin: *origin,
                        count: 1,
                        ..OpProfile::default()
                    };
                    (k.to_string(), op)
                })
                .collect(),
            ..Profile::default()
        }
    }

    #[test]
    fn an_after_trace_that_lost_most_own_code_fails() {
        let before = profile(&[
            ("a", Origin::Own),
            ("b", Origin::Own),
            ("c", Origin::Own),
            ("json", Origin::Library),
        ]);
        let after = profile(&[("json", Origin::Library)]);
        let c = coverage(&before, &after, 0.5);
        assert_eq!((c.before_operations, c.after_measured), (3, 0));
        assert_eq!(c.severity, Some(Severity::Fail));
        // Two of three own operations measured: enough.
        let after = profile(&[("a", Origin::Own), ("b", Origin::Own)]);
        assert_eq!(coverage(&before, &after, 0.5).severity, None);
    }

    #[test]
    fn the_least_share_passes_and_library_only_traces_count_every_operation() {
        // Exactly the minimum share: one of two own operations at 50 %.
        let before = profile(&[("a", Origin::Own), ("b", Origin::Own)]);
        let c = coverage(&before, &profile(&[("a", Origin::Own)]), 0.5);
        assert_eq!((c.share, c.severity), (0.5, None));
        // No own code: judged on every operation (one of three measured).
        let libraries = profile(&[
            ("json", Origin::Library),
            ("re", Origin::Library),
            ("ssl", Origin::Library),
        ]);
        let c = coverage(&libraries, &profile(&[("re", Origin::Library)]), 0.5);
        assert_eq!((c.before_operations, c.after_measured), (3, 1));
        assert_eq!(c.severity, Some(Severity::Fail));
        // Nothing measured before: nothing was lost.
        let c = coverage(&profile(&[]), &profile(&[]), 0.5);
        assert_eq!((c.share, c.severity), (1.0, None));
    }
}
