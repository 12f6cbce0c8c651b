//! Units of the values people write, in budgets.toml and on the command line: durations (`"30ms"`, `"1.5s"`, `"250us"`), the seed's
//! middle-band spelling (`"1000-1500ms"`, `"800ms..1.2s"`) and percentages (`"10%"`).
//!
//! Every parser returns a message meant for people (what was wrong, what is expected); the
//! caller adds the file and line:column.

/// Microseconds per unit, longest suffix first so `ms` is not read as `s`.
const UNITS: [(&str, f64); 6] = [
    ("ns", 0.001),
    ("us", 1.0),
    ("µs", 1.0),
    ("ms", 1000.0),
    ("min", 60_000_000.0),
    ("s", 1_000_000.0),
];

/// What a duration looks like, for messages.
pub const DURATION_HINT: &str =
    "a number with a unit: \"250us\", \"30ms\", \"1.5s\" (units: ns, us, µs, ms, s, min)";

/// Parses a duration string into microseconds.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (number, factor) = split_unit(t).ok_or_else(|| match parse_number(t) {
        Some(_) => format!("`{text}` has no unit; write {DURATION_HINT}"),
        None => format!("`{text}` is not a duration; expected {DURATION_HINT}"),
    })?;
    let value = parse_number(number)
        .ok_or_else(|| format!("`{text}` is not a duration; expected {DURATION_HINT}"))?;
    Ok(value * factor)
}

/// Splits `"30ms"` into `("30", 1000.0)`; `None` without a known unit.
fn split_unit(t: &str) -> Option<(&str, f64)> {
    // "min" and "ms" end differently from "s", but "ns"/"us"/"µs"/"ms" all end in "s": try
    // the two-letter units before the bare "s".
    let mut by_len: Vec<&(&str, f64)> = UNITS.iter().collect();
    by_len.sort_by_key(|(u, _)| std::cmp::Reverse(u.chars().count()));
    by_len
        .into_iter()
        .find_map(|(unit, factor)| t.strip_suffix(unit).map(|n| (n.trim_end(), *factor)))
}

/// A plain non-negative decimal number (no sign, no exponent, no `inf`/`nan`).
pub fn parse_number(t: &str) -> Option<f64> {
    let t = t.trim();
    let digits_and_dot = !t.is_empty()
        && t.chars().all(|c| c.is_ascii_digit() || c == '.')
        && t.chars().filter(|&c| c == '.').count() <= 1
        && t.chars().any(|c| c.is_ascii_digit());
    if digits_and_dot { t.parse().ok() } else { None }
}

/// Parses the middle band `LOW..HIGH` or `LOW-HIGH` (the seed writes `1000-1500ms`). With
/// `durations`, a side without a unit takes the other side's unit; without, both sides are
/// plain numbers (call counts). Returns (low, high) in µs or counts.
pub fn parse_band(text: &str, durations: bool) -> Result<(f64, f64), String> {
    let expected = if durations {
        "expected a range like \"1000ms..1500ms\" or \"1000-1500ms\""
    } else {
        "expected a range of counts like \"3..5\" or \"3-5\""
    };
    let (low, high) = text
        .split_once("..")
        .or_else(|| text.split_once('-'))
        .ok_or_else(|| format!("`{text}` is not a range; {expected}"))?;
    let (low, high) = (low.trim(), high.trim());
    let bad = |side: &str| format!("`{side}` in `{text}` is not valid; {expected}");
    if !durations {
        let l = parse_number(low).ok_or_else(|| bad(low))?;
        let h = parse_number(high).ok_or_else(|| bad(high))?;
        return Ok((l, h));
    }
    let h = parse_duration(high).map_err(|_| bad(high))?;
    let l = match parse_number(low) {
        // "1000-1500ms": the low side borrows the high side's unit.
        Some(n) => n * split_unit(high).map(|(_, f)| f).unwrap_or(1.0),
        None => parse_duration(low).map_err(|_| bad(low))?,
    };
    if l > h {
        return Err(format!("`{text}`: the low end is above the high end"));
    }
    Ok((l, h))
}

/// Parses `"10%"` (or a bare number of percent) into percent. A bare number below 1 (`0.1`)
/// is refused: it reads as a fraction (10 %) as often as a percentage (0.1 %).
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (number, has_sign) = match t.strip_suffix('%') {
        Some(n) => (n, true),
        None => (t, false),
    };
    match parse_number(number) {
        Some(v) if !has_sign && v > 0.0 && v < 1.0 => Err(format!(
            "`{text}` is ambiguous: write \"{}%\" for a fraction, or \"{v}%\" for a percentage",
            v * 100.0
        )),
        Some(v) => Ok(v),
        None => Err(format!("`{text}` is not a percentage; expected \"10%\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_with_every_unit() {
        assert_eq!(parse_duration("30ms"), Ok(30_000.0));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000.0));
        assert_eq!(parse_duration("250us"), Ok(250.0));
        assert_eq!(parse_duration("250µs"), Ok(250.0));
        assert_eq!(parse_duration("500ns"), Ok(0.5));
        assert_eq!(parse_duration("2min"), Ok(120_000_000.0));
        assert_eq!(parse_duration(" 10 ms "), Ok(10_000.0));
    }

    #[test]
    fn bad_durations_say_what_is_expected() {
        let e = parse_duration("30").unwrap_err();
        assert!(e.contains("has no unit"), "{e}");
        for bad in ["30 msec", "fast", "-5ms", "1e3ms", "ms", "1.2.3s"] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.contains("not a duration"), "{bad}: {e}");
        }
    }

    #[test]
    fn bands_in_the_seeds_spelling_and_with_dots() {
        assert_eq!(
            parse_band("1000-1500ms", true),
            Ok((1_000_000.0, 1_500_000.0))
        );
        assert_eq!(
            parse_band("800ms..1.2s", true),
            Ok((800_000.0, 1_200_000.0))
        );
        assert_eq!(parse_band("30ms - 50ms", true), Ok((30_000.0, 50_000.0)));
        assert_eq!(parse_band("3..5", false), Ok((3.0, 5.0)));
        assert!(parse_band("1500-1000ms", true).is_err());
        assert!(parse_band("1000ms", true).is_err());
        assert!(parse_band("3ms..5ms", false).is_err());
    }

    #[test]
    fn percentages() {
        assert_eq!(parse_percent("10%"), Ok(10.0));
        assert_eq!(parse_percent("2.5"), Ok(2.5));
        assert!(parse_percent("ten").is_err());
        let ambiguous = parse_percent("0.1").unwrap_err();
        assert!(
            ambiguous.contains("10%") && ambiguous.contains("0.1%"),
            "{ambiguous}"
        );
        assert_eq!(parse_percent("0.5%"), Ok(0.5));
    }
}
