//! Human units for durations, counts and p-values, shared by every renderer that shows
//! figures to people.

/// A duration in µs as people read it: `850us`, `12.3ms`, `1.52s`.
pub fn human_us(us: f64) -> String {
    if !us.is_finite() {
        return "-".into();
    }
    let abs = us.abs();
    if abs >= 1e15 {
        // Over 30 years: a broken timestamp, not a duration; `{:.2}` would print 300 digits.
        format!("{:.2e}s", us / 1_000_000.0)
    } else if abs >= 1_000_000.0 {
        format!("{:.2}s", us / 1_000_000.0)
    } else if abs >= 100_000.0 {
        format!("{:.0}ms", us / 1000.0)
    } else if abs >= 1000.0 {
        format!("{:.1}ms", us / 1000.0)
    } else if abs >= 10.0 {
        format!("{us:.0}us")
    } else if abs >= 1.0 || us == 0.0 {
        format!("{us:.1}us")
    } else {
        format!("{:.0}ns", us * 1000.0)
    }
}

/// A signed duration change: `+310ms`, `-1.2ms`.
pub fn signed_us(us: f64) -> String {
    if us > 0.0 {
        format!("+{}", human_us(us))
    } else {
        human_us(us)
    }
}

/// A signed percentage: `+12.5%`.
pub fn signed_pct(pct: f64) -> String {
    if !pct.is_finite() {
        return "-".into();
    }
    format!("{pct:+.1}%")
}

/// A p-value in few characters: `0.042`, `0.0012`, `<1e-4` (smaller values say nothing more
/// and read as noise in a table).
pub fn fmt_p(p: f64) -> String {
    if p < 1e-4 {
        "<1e-4".into()
    } else if p < 0.01 {
        format!("{p:.4}")
    } else {
        format!("{p:.3}")
    }
}

/// `p = 0.042`, `p < 1e-4`: a p-value in a sentence.
pub fn p_phrase(p: f64) -> String {
    let v = fmt_p(p);
    match v.strip_prefix('<') {
        Some(bound) => format!("p < {bound}"),
        None => format!("p = {v}"),
    }
}

/// A count or ratio without needless decimals: `12`, `2.5`.
pub fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round())
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absurd_duration_is_shown_in_a_few_characters() {
        assert_eq!(human_us(1e308), "1.00e302s");
        assert_eq!(signed_us(-1e300), "-1.00e294s");
        assert_eq!(human_us(2_500_000.0), "2.50s");
    }

    #[test]
    fn durations_in_the_unit_people_read() {
        assert_eq!(human_us(3.25), "3.2us");
        assert_eq!(human_us(850.0), "850us");
        assert_eq!(human_us(12_340.0), "12.3ms");
        assert_eq!(human_us(412_000.0), "412ms");
        assert_eq!(human_us(1_520_000.0), "1.52s");
        assert_eq!(signed_us(310_000.0), "+310ms");
        assert_eq!(signed_pct(-4.25), "-4.2%");
        assert_eq!(human_us(0.45), "450ns");
        assert_eq!(human_us(0.0), "0.0us");
        assert_eq!(fmt_p(0.0421), "0.042");
        assert_eq!(fmt_p(0.00123), "0.0012");
        assert_eq!(fmt_p(7.4e-7), "<1e-4");
        assert_eq!(p_phrase(7.4e-7), "p < 1e-4");
        assert_eq!(p_phrase(0.2), "p = 0.200");
    }
}
