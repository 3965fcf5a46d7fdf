//! The support library against `python3` itself, over many generated
//! inputs, all in one Python process.

use std::process::Command;

use py_builtins::repr::bytes_repr;

use crate::support::{run, Rng};

/// Runs a Python program that reads one hex-encoded input per line and
/// prints one result per line; returns the results.
fn python_lines(program: &str, inputs: &[Vec<u8>]) -> Vec<String> {
    let mut stdin = String::new();
    for input in inputs {
        for byte in input {
            stdin.push_str(&format!("{byte:02x}"));
        }
        stdin.push('\n');
    }
    let mut command = Command::new("python3");
    command.args(["-c", program]);
    let mut python = run(command, stdin.as_bytes());
    python.assert_exit_code(0);
    let lines: Vec<String> = python.stdout_text().lines().map(str::to_string).collect();
    assert_eq!(lines.len(), inputs.len(), "{}", python.report());
    lines
}

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
