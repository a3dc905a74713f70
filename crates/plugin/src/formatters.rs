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
}
