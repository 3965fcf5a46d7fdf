//! Python's `float(data)` for `data: bytes`, and `str(x)` for a float.
//!
//! Both follow CPython exactly: the parser accepts what
//! `float()` accepts and nothing else, and the formatter writes what
//! `str()` (the same as `repr()`) writes.

/// Python's `float(data)` for `bytes`: `None` where Python raises
/// `ValueError`.
///
/// Accepted: ASCII whitespace around (space, `\t\n\v\f\r`), an optional
/// sign, then digits with an optional point and exponent, or `inf`,
/// `infinity`, `nan` in any case. A `_` may stand only between two digits.
/// Too large a value is ±inf. Nothing else: no hex, no comma, no NUL, no
/// byte outside ASCII.
pub fn parse_float(data: &[u8]) -> Option<f64> {
    let text = trim_python_space(data);
    let cleaned = remove_underscores(text)?;
    let (negative, body) = match cleaned.first() {
        Some(b'-') => (true, &cleaned[1..]),
        Some(b'+') => (false, &cleaned[1..]),
        _ => (false, &cleaned[..]),
    };
    let magnitude = if let Some(special) = parse_inf_or_nan(body) {
        special
    } else if is_decimal(body) {
        // `body` is ASCII digits, '.', 'e', '+', '-' in a valid order: std's
        // correctly rounded parser gives the same double as CPython's.
        std::str::from_utf8(body).ok()?.parse::<f64>().ok()?
    } else {
        return None;
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// Python's `str(x)` (= `repr(x)`) for a float: the shortest digits that
/// read back as `x`; scientific notation when the exponent is below -4 or
/// at least 16 (`1e-05`, `1.8e+20`); `.0` on integral values; `inf`,
/// `-inf`, `nan`.
pub fn float_str(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let scientific = shortest_scientific(x.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if !(-4..16).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        return format!(
            "{sign}{first}{point}{rest}e{exponent_sign}{:02}",
            exponent.abs()
        );
    }
    if exponent < 0 {
        let zeros = "0".repeat((-exponent - 1) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let integer_digits = exponent as usize + 1;
    if digits.len() <= integer_digits {
        let zeros = "0".repeat(integer_digits - digits.len());
        format!("{sign}{digits}{zeros}.0")
    } else {
        let (integer, fraction) = digits.split_at(integer_digits);
        format!("{sign}{integer}.{fraction}")
    }
}

/// `x` as `d.ddde<exp>` with the fewest digits that read back as `x` and,
/// among those, the digits nearest to `x`, as CPython's `repr` picks them.
///
/// std's `{:e}` finds the fewest digits, but where several strings of that
/// length read back as `x` it does not always take the nearest; `{:.*e}`
/// rounds `x` itself correctly to that many digits, which is the nearest.
fn shortest_scientific(x: f64) -> String {
    let shortest = format!("{x:e}");
    let significant = shortest.split('e').next().map_or(1, |mantissa| {
        mantissa.chars().filter(char::is_ascii_digit).count()
    });
    let nearest = format!("{x:.*e}", significant.saturating_sub(1));
    if nearest.parse::<f64>() == Ok(x) {
        nearest
    } else {
        shortest
    }
}

/// Strips what `Py_ISSPACE` calls space from both ends.
fn trim_python_space(data: &[u8]) -> &[u8] {
    let is_space = |byte: &u8| matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let start = data.iter().position(|b| !is_space(b)).unwrap_or(data.len());
    let end = data
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |i| i + 1);
    &data[start..end]
}

/// Removes underscores, each of which must stand between two digits;
/// `None` if one does not.
fn remove_underscores(text: &[u8]) -> Option<Vec<u8>> {
    let mut cleaned = Vec::with_capacity(text.len());
    for (at, &byte) in text.iter().enumerate() {
        if byte == b'_' {
            let after_digit = at > 0 && text[at - 1].is_ascii_digit();
            let before_digit = text.get(at + 1).is_some_and(u8::is_ascii_digit);
            if !(after_digit && before_digit) {
                return None;
            }
        } else {
            cleaned.push(byte);
        }
    }
    Some(cleaned)
}

/// `inf`, `infinity` or `nan`, in any case.
fn parse_inf_or_nan(body: &[u8]) -> Option<f64> {
    let lower = body.to_ascii_lowercase();
    match lower.as_slice() {
        b"inf" | b"infinity" => Some(f64::INFINITY),
        b"nan" => Some(f64::NAN),
        _ => None,
    }
}

/// `digits [. digits] [e [sign] digits]` or `. digits [e …]`: at least one
/// digit in the mantissa, and in the exponent if there is one.
fn is_decimal(body: &[u8]) -> bool {
    let digits = |from: usize| {
        body[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let integer = digits(0);
    let mut at = integer;
    let mut fraction = 0;
    if body.get(at) == Some(&b'.') {
        fraction = digits(at + 1);
        at += 1 + fraction;
    }
    if integer + fraction == 0 {
        return false;
    }
    if matches!(body.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(body.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exponent = digits(at);
        if exponent == 0 {
            return false;
        }
        at += exponent;
    }
    at == body.len()
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
            "1e", "1e+", "+-1", "in_f", "infinit", "１", "\u{1c}1", "1 2",
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
