//! Value <-> text conversions for parameters. Text from hosts and users is parsed leniently
//! (unit optional, with or without a space, any case), and every value printed parses back to the
//! same value (hosts and validators check that round trip).

use std::sync::Arc;

/// A parameter's value-to-text function, as nice-plug takes it.
pub type ValueToString = Arc<dyn Fn(f32) -> String + Send + Sync>;
/// A parameter's text-to-value function, as nice-plug takes it.
pub type StringToValue = Arc<dyn Fn(&str) -> Option<f32> + Send + Sync>;

/// Formats a plain value with `decimals` digits (the unit is appended by nice-plug).
pub fn v2s_decimals(decimals: usize) -> ValueToString {
    Arc::new(move |v| {
        let s = format!("{v:.decimals$}");
        // "-0.00" reads oddly and is the same value.
        if s.trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            s.trim_start_matches('-').to_owned()
        } else {
            s
        }
    })
}

/// Parses a number optionally followed by a unit (e.g. "dB", "dBTP", "ms", "Hz", "%").
pub fn s2v_number() -> StringToValue {
    Arc::new(parse_number)
}

/// Parses the leading number of `s`, ignoring a trailing unit. Rejects NaN and infinities.
pub fn parse_number(s: &str) -> Option<f32> {
    let s = s.trim();
    let bytes = s.as_bytes();
    let mut end = 0;
    let mut seen_exponent = false;
    while end < bytes.len() {
        let c = bytes[end] as char;
        let after_exponent = end > 0 && matches!(bytes[end - 1], b'e' | b'E');
        let ok = c.is_ascii_digit()
            || c == '.'
            || ((c == '-' || c == '+') && (end == 0 || after_exponent))
            || ((c == 'e' || c == 'E')
                && !seen_exponent
                && end > 0
                && bytes
                    .get(end + 1)
                    .is_some_and(|&d| d.is_ascii_digit() || d == b'-' || d == b'+'));
        if !ok {
            break;
        }
        seen_exponent |= c == 'e' || c == 'E';
        end += 1;
    }
    let value: f32 = s[..end].parse().ok()?;
    value.is_finite().then_some(value)
}

/// Formats a frequency: "80.0 Hz", "350 Hz", "1.50 kHz", "12.0 kHz" (no unit is added by
/// nice-plug; use without `with_unit`).
pub fn v2s_hz() -> ValueToString {
    Arc::new(format_hz)
}

/// Formats a frequency as [`v2s_hz`] does, or "Off" at or beyond `off_hz` (below it when
/// `off_below`, above it otherwise).
pub fn v2s_hz_or_off(off_hz: f32, off_below: bool) -> ValueToString {
    Arc::new(move |v| {
        if is_off(v, off_hz, off_below) {
            "Off".to_owned()
        } else {
            format_hz(v)
        }
    })
}

/// Parses a frequency: "1500", "1500 Hz", "1.5k", "1.5 kHz".
pub fn s2v_hz() -> StringToValue {
    Arc::new(parse_hz)
}

/// Parses a frequency as [`s2v_hz`], or "off" as `off_hz`.
pub fn s2v_hz_or_off(off_hz: f32) -> StringToValue {
    Arc::new(move |s| {
        if s.trim().eq_ignore_ascii_case("off") {
            Some(off_hz)
        } else {
            parse_hz(s)
        }
    })
}

/// Whether a frequency value means "filter off" (within 0.01 %, so a value that went through a
/// logarithm and back still counts).
pub fn is_off(v: f32, off_hz: f32, off_below: bool) -> bool {
    if off_below {
        v <= off_hz * 1.0001
    } else {
        v >= off_hz * 0.9999
    }
}

fn format_hz(v: f32) -> String {
    // Enough digits that the text reads back to the same knob position (hosts check it).
    if v >= 10_000.0 {
        format!("{:.2} kHz", v / 1000.0)
    } else if v >= 1000.0 {
        format!("{:.3} kHz", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.1} Hz")
    } else {
        format!("{v:.2} Hz")
    }
}

fn parse_hz(s: &str) -> Option<f32> {
    let v = parse_number(s)?;
    let number_len = s.trim().len()
        - s.trim()
            .trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'))
            .len();
    let unit = s.trim()[number_len..].trim_start().to_ascii_lowercase();
    if unit.starts_with('k') {
        Some(v * 1000.0)
    } else {
        Some(v)
    }
}

/// Milliseconds with four significant digits or more: "0.0500 ms", "5.000 ms", "12.50 ms",
/// "120.0 ms" (enough that the text reads back to the same knob position). Includes the unit.
pub fn v2s_ms() -> ValueToString {
    Arc::new(|v| {
        if v == 0.0 {
            "0 ms".to_owned()
        } else if v < 1.0 {
            format!("{v:.4} ms")
        } else if v < 10.0 {
            format!("{v:.3} ms")
        } else if v < 100.0 {
            format!("{v:.2} ms")
        } else {
            format!("{v:.1} ms")
        }
    })
}

/// Formats a ratio as "1.500:1", "3.00:1", "12.00:1" (enough digits to read back exactly).
pub fn v2s_ratio() -> ValueToString {
    Arc::new(|v| {
        if v < 2.0 {
            format!("{v:.3}:1")
        } else {
            format!("{v:.2}:1")
        }
    })
}

/// Parses "3", "3:1", "3.5 : 1".
pub fn s2v_ratio() -> StringToValue {
    Arc::new(|s| parse_number(s.split(':').next().unwrap_or("")))
}

/// Formats a pan position in % (-100..100) as "C", "30 L", "12.5 L", "100 R".
pub fn v2s_pan() -> ValueToString {
    Arc::new(|v| {
        // Tenths, printed only when present: "30 L", "30.5 L".
        let r = (v * 10.0).round() / 10.0;
        let text = |x: f32| {
            if x.fract() == 0.0 {
                format!("{x:.0}")
            } else {
                format!("{x:.1}")
            }
        };
        if r == 0.0 {
            "C".to_owned()
        } else if r < 0.0 {
            format!("{} L", text(-r))
        } else {
            format!("{} R", text(r))
        }
    })
}

/// Parses "C", "30 L", "L30", "100R", "-30" (negative = left).
pub fn s2v_pan() -> StringToValue {
    Arc::new(|s| {
        let t = s.trim().to_ascii_lowercase();
        if t == "c" || t == "center" || t == "centre" {
            return Some(0.0);
        }
        let left = t.contains('l');
        let right = t.contains('r');
        let digits = t.trim_matches(|c: char| c == 'l' || c == 'r' || c.is_whitespace());
        let v = parse_number(digits)?;
        match (left, right) {
            (true, false) => Some(-v.abs()),
            (false, true) => Some(v.abs()),
            (false, false) => Some(v),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_users_type() {
        assert_eq!(parse_number("-6"), Some(-6.0));
        assert_eq!(parse_number("-6dB"), Some(-6.0));
        assert_eq!(parse_number(" +3.5 dB "), Some(3.5));
        assert_eq!(parse_number("12 dBTP"), Some(12.0));
        assert_eq!(parse_number("1e-3"), Some(0.001));
        assert_eq!(parse_number("2.5E+1 dB"), Some(25.0));
        assert_eq!(parse_number("-12 ms"), Some(-12.0));
        assert_eq!(parse_number("dB"), None);
        assert_eq!(parse_number("nan"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn prints_without_negative_zero() {
        let f = v2s_decimals(2);
        assert_eq!(f(-0.0), "0.00");
        assert_eq!(f(-0.001), "0.00");
        assert_eq!(f(-1.5), "-1.50");
    }

    #[test]
    fn frequencies_round_trip() {
        let (f, p) = (v2s_hz(), s2v_hz());
        assert_eq!(f(80.0), "80.00 Hz");
        assert_eq!(f(350.0), "350.0 Hz");
        assert_eq!(f(1500.0), "1.500 kHz");
        assert_eq!(f(12_000.0), "12.00 kHz");
        assert_eq!(p("1.5k"), Some(1500.0));
        assert_eq!(p("1.5 kHz"), Some(1500.0));
        assert_eq!(p("250 Hz"), Some(250.0));
        assert_eq!(p("250"), Some(250.0));
        for v in [20.0f32, 99.9, 350.0, 1234.0, 15_500.0] {
            let back = p(&f(v)).unwrap();
            assert!((back - v).abs() <= v * 0.005, "{v} -> {} -> {back}", f(v));
        }
        let off = v2s_hz_or_off(10.0, true);
        assert_eq!(off(10.0), "Off");
        assert_eq!(off(20.0), "20.00 Hz");
        assert_eq!(s2v_hz_or_off(10.0)("off"), Some(10.0));
    }

    #[test]
    fn ratios_and_pan() {
        assert_eq!(v2s_ratio()(4.0), "4.00:1");
        assert_eq!(s2v_ratio()("4:1"), Some(4.0));
        assert_eq!(s2v_ratio()("2.5"), Some(2.5));
        let (f, p) = (v2s_pan(), s2v_pan());
        assert_eq!(f(0.04), "C");
        assert_eq!(f(0.2), "0.2 R");
        assert_eq!(f(-12.5), "12.5 L");
        assert_eq!(f(-30.0), "30 L");
        assert_eq!(f(100.0), "100 R");
        assert_eq!(p("C"), Some(0.0));
        assert_eq!(p("30 L"), Some(-30.0));
        assert_eq!(p("L30"), Some(-30.0));
        assert_eq!(p("100R"), Some(100.0));
        assert_eq!(p("-20"), Some(-20.0));
        assert_eq!(p("x"), None);
    }
}
