//! Python's `float(data)` for `data: bytes`, and `str(x)` for a float, as
//! CPython does them: the parser takes what `float()` takes and nothing
//! else; the formatter writes what `str()` writes.

/// `float(data)`: `None` where Python raises `ValueError`.
///
/// ASCII whitespace around (space, `\t\n\v\f\r`), an optional sign, then a
/// decimal number or `inf`, `infinity`, `nan` in any case; a `_` only
/// between two digits; too large a value is ±inf. std's parser has the
/// same grammar and CPython's correct rounding, once the spaces and the
/// underscores are gone.
pub fn parse_float(data: &[u8]) -> Option<f64> {
    let is_space = |byte: &u8| b" \t\n\x0b\x0c\r".contains(byte);
    let start = data.iter().position(|byte| !is_space(byte)).unwrap_or(data.len());
    let end = data.iter().rposition(|byte| !is_space(byte)).map_or(start, |at| at + 1);
    let text = &data[start..end];
    let digit_at = |at: usize| text.get(at).is_some_and(u8::is_ascii_digit);
    let mut cleaned = String::with_capacity(text.len());
    for (at, &byte) in text.iter().enumerate() {
        match byte {
            b'_' if at > 0 && digit_at(at - 1) && digit_at(at + 1) => {}
            // A space inside, a control byte, anything not ASCII: no number.
            b'_' | ..=b' ' | 0x7f.. => return None,
            _ => cleaned.push(char::from(byte)),
        }
    }
    cleaned.parse().ok()
}

/// `str(x)` (the same as `repr(x)`): the shortest digits that read back as
/// `x`; scientific when the exponent is below -4 or at least 16 (`1e-05`,
/// `1.8e+20`); `.0` on integral values; `inf`, `-inf`, `nan`.
pub fn float_str(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "nan"
        } else if x < 0.0 {
            "-inf"
        } else {
            "inf"
        }
        .to_string();
    }
    let scientific = shortest_scientific(x.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits = mantissa.replace('.', "");
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if !(-4..16).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}{point}{rest}e{exponent_sign}{:02}", exponent.abs());
    }
    if exponent < 0 {
        return format!("{sign}0.{}{digits}", "0".repeat((-exponent - 1) as usize));
    }
    let whole = exponent as usize + 1;
    if digits.len() <= whole {
        format!("{sign}{digits}{}.0", "0".repeat(whole - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..whole], &digits[whole..])
    }
}

/// `x` as `d.ddde<exp>` with the fewest digits that read back as `x` and,
/// among those, the nearest to `x`, as CPython's `repr` picks them. std's
/// `{:e}` finds how few; where several strings that short read back as
/// `x`, `{:.*e}` (correctly rounded) is the nearest.
fn shortest_scientific(x: f64) -> String {
    let shortest = format!("{x:e}");
    let significant = shortest.split('e').next().map_or(1, |m| m.replace('.', "").len());
    let nearest = format!("{x:.*e}", significant.saturating_sub(1));
    if nearest.parse::<f64>() == Ok(x) {
        nearest
    } else {
        shortest
    }
}

#[cfg(test)]
mod tests {
    use super::{float_str, parse_float};

    fn converted(input: &str) -> Option<String> {
        parse_float(input.as_bytes()).map(|x| float_str(x * 1.8 + 32.0))
    }

    #[test]
    fn the_tutorials_conversions() {
        let cases = [
            ("25", "77.0"),
            ("37", "98.60000000000001"),
            (" 36.6 ", "97.88000000000001"),
            ("1e16", "1.8000000000000032e+16"),
            ("1e-4", "32.00018"),
            ("1_000", "1832.0"),
            ("1e400", "inf"),
            ("-1e400", "-inf"),
            ("-nan", "nan"),
            ("-40", "-40.0"),
        ];
        for (input, expected) in cases {
            assert_eq!(converted(input).as_deref(), Some(expected), "{input:?}");
        }
        assert_eq!(converted(&"1".repeat(1024)).as_deref(), Some("inf"));
    }

    #[test]
    fn str_of_floats() {
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1e-5, "1e-05"),
            (1e-4, "0.0001"),
            (1.8e20, "1.8e+20"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123.456, "123.456"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
        ];
        for (value, expected) in cases {
            assert_eq!(float_str(value), expected);
        }
    }

    #[test]
    fn what_python_rejects() {
        for input in [
            "", "  ", "abc", "1__0", "_1", "1_", "1_.5", "1._5", "1_e5", "0x10", "1,5", "1\0", ".",
            "1e", "1e+", "+-1", "in_f", "infinit", "１", "\u{1c}1", "1 2", "\x001", "1\x1f",
        ] {
            assert_eq!(parse_float(input.as_bytes()), None, "{input:?}");
        }
        assert_eq!(parse_float(b"\xff"), None);
    }

    #[test]
    fn what_python_accepts() {
        let cases = [
            ("\x0b1\x0c", 1.0),
            ("5.", 5.0),
            (".5", 0.5),
            ("1e1_0", 1e10),
            ("1_000.000_1", 1000.0001),
            ("+InFiNiTy", f64::INFINITY),
            ("1_0 ", 10.0),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_float(input.as_bytes()), Some(expected), "{input:?}");
        }
    }
}
