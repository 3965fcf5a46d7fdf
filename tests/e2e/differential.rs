//! The support library against `python3` itself, over many generated
//! inputs, all in one Python process.

use listing_support::builtins::bytes_repr;

use crate::support::{python_lines, Rng};

/// Byte strings of every kind the repr treats differently.
fn generated_byte_strings(count: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(0x5eed_0001);
    let mut inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        (0u8..=255).collect(),
        b"'".to_vec(),
        b"\"".to_vec(),
        b"'\"".to_vec(),
        b"\\'".to_vec(),
    ];
    inputs.extend((0u8..=255).map(|byte| vec![byte]));
    // Bytes the repr escapes or quotes, weighted up.
    let interesting = [b'\'', b'"', b'\\', b'\t', b'\n', b'\r', 0, 0x7f, 0x80, 0xff];
    while inputs.len() < count {
        let length = match rng.below(10) {
            0 => rng.below(3000),
            _ => rng.below(40),
        };
        let input = (0..length)
            .map(|_| match rng.below(4) {
                0 => *rng.pick(&interesting),
                1 => rng.below(256) as u8,
                _ => 0x20 + rng.below(0x5f) as u8,
            })
            .collect();
        inputs.push(input);
    }
    inputs
}

#[test]
fn bytes_repr_matches_python_on_12000_byte_strings() {
    let inputs = generated_byte_strings(12_000);
    let expected = python_lines(
        "import sys\nfor line in sys.stdin:\n    print(repr(bytes.fromhex(line.strip())))",
        &inputs,
    );
    let mut disagreements = Vec::new();
    for (input, expected) in inputs.iter().zip(&expected) {
        let ours = bytes_repr(input);
        if &ours != expected {
            disagreements.push(format!("{input:?}: ours {ours}, Python {expected}"));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} disagree, first: {:?}",
        disagreements.len(),
        inputs.len(),
        &disagreements[..disagreements.len().min(5)]
    );
}

/// Inputs for `float(data)`: every class the parser treats differently.
fn generated_float_inputs(count: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(0x5eed_0002);
    // Between `min` and `max` random digits.
    let digits = |rng: &mut Rng, min: usize, max: usize| -> String {
        let length = min + rng.below(max - min + 1);
        (0..length)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect()
    };
    let mut inputs: Vec<Vec<u8>> = [
        "25",
        "37",
        " 36.6 ",
        "1e16",
        "1e-4",
        "1_000",
        "1e400",
        "-nan",
        "",
        " ",
        "abc",
        "1__0",
        "0x10",
        "1,5",
        "1\0",
        "4.9e-324",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
        "1.8e308",
        "5.555555555555555e15",
        "5.5555555555555556e15",
        "-17.77777777777778",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    inputs.push(vec![b'1'; 1024]);
    inputs.push("２５".as_bytes().to_vec());
    let spaces = [
        " ", "\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\u{a0}", "\u{3000}", "",
    ];
    let specials = [
        "inf",
        "infinity",
        "nan",
        "in",
        "infinit",
        "infinityy",
        "na",
        "nann",
    ];
    let junk_alphabet = b"0123456789.eE+-_ infatyINFATYx,\0";
    while inputs.len() < count {
        let body = match rng.below(10) {
            // Integers of every length.
            0 if rng.below(20) == 0 => digits(&mut rng, 300, 1100),
            0 => digits(&mut rng, 1, 25),
            // Decimals.
            1 => format!("{}.{}", digits(&mut rng, 0, 19), digits(&mut rng, 0, 19)),
            // Exponents anywhere, subnormals and overflow included.
            2 => format!(
                "{}.{}{}{}",
                digits(&mut rng, 1, 3),
                digits(&mut rng, 0, 17),
                rng.pick(&["e", "E"]),
                rng.below(700) as i64 - 350
            ),
            // Around the repr thresholds of the result (1e-5, 1e-4, 1e15,
            // 1e16) and of the input itself.
            3 => format!(
                "{}{}e{}",
                rng.pick(&["", "-", "5.5", "-17.77", "5.555555555555", "1", "9.99"]),
                digits(&mut rng, 0, 16),
                *rng.pick(&[-7i32, -6, -5, -4, -3, 13, 14, 15, 16, 17])
            ),
            // inf, infinity, nan in mixed case, and near misses.
            4 => rng
                .pick(&specials)
                .chars()
                .map(|c| {
                    if rng.below(2) == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect(),
            // Random junk from the characters the parser cares about.
            5 => (0..rng.below(12))
                .map(|_| char::from(*rng.pick(junk_alphabet)))
                .collect(),
            // Plain small numbers, with a fraction.
            _ => {
                let integer = rng.below(200);
                format!("{integer}.{}", digits(&mut rng, 0, 5))
            }
        };
        let mut text = body.into_bytes();
        // Underscores, in valid and invalid places.
        if rng.below(5) == 0 {
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(text.len() + 1);
                text.insert(at, b'_');
            }
        }
        // Signs, single and doubled.
        let sign = *rng.pick(&["", "", "", "-", "+", "--", "+-"]);
        let mut input = Vec::new();
        input.extend_from_slice(rng.pick(&spaces).as_bytes());
        input.extend_from_slice(sign.as_bytes());
        input.extend_from_slice(&text);
        input.extend_from_slice(rng.pick(&spaces).as_bytes());
        // Now and then, raw bytes of any value.
        if rng.below(50) == 0 {
            let at = rng.below(input.len() + 1);
            input.insert(at, rng.below(256) as u8);
        }
        inputs.push(input);
    }
    inputs
}

#[test]
fn float_parsing_and_str_match_python_on_120000_inputs() {
    use listing_support::builtins::float::{float_str, parse_float};
    let inputs = generated_float_inputs(120_000);
    let expected = python_lines(
        "import sys\n\
         for line in sys.stdin:\n\
         \x20   try:\n\
         \x20       print(str(float(bytes.fromhex(line.strip()))*1.8+32))\n\
         \x20   except ValueError:\n\
         \x20       print('rejected')",
        &inputs,
    );
    let mut disagreements = Vec::new();
    let mut accepted = 0;
    for (input, expected) in inputs.iter().zip(&expected) {
        let ours = match parse_float(input) {
            Some(x) => {
                accepted += 1;
                float_str(x * 1.8 + 32.0)
            }
            None => "rejected".to_string(),
        };
        if &ours != expected {
            disagreements.push(format!(
                "{:?}: ours {ours}, Python {expected}",
                String::from_utf8_lossy(input)
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} disagree, first: {:#?}",
        disagreements.len(),
        inputs.len(),
        &disagreements[..disagreements.len().min(10)]
    );
    // The mix must exercise both outcomes substantially.
    let rejected = inputs.len() - accepted;
    assert!(
        accepted > 20_000 && rejected > 20_000,
        "accepted {accepted}, rejected {rejected}"
    );
    eprintln!("float differential: {accepted} accepted, {rejected} rejected, all agree");
}

#[test]
fn str_of_any_double_matches_python_on_20000_bit_patterns() {
    use listing_support::builtins::float::float_str;
    let mut rng = Rng::new(0x5eed_0003);
    let values: Vec<f64> = (0..20_000)
        .map(|_| f64::from_bits(rng.next_u64()))
        .collect();
    let inputs: Vec<Vec<u8>> = values.iter().map(|x| x.to_le_bytes().to_vec()).collect();
    let expected = python_lines(
        "import struct, sys\n\
         for line in sys.stdin:\n\
         \x20   print(str(struct.unpack('<d', bytes.fromhex(line.strip()))[0]))",
        &inputs,
    );
    for (value, expected) in values.iter().zip(&expected) {
        assert_eq!(&float_str(*value), expected, "bits {:#x}", value.to_bits());
    }
}
