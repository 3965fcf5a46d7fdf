//! The bench's report: sections of rows (Rust against another program),
//! each with its targets, shown as a text table, as JSON, or as an SVG bar
//! chart of how many times better Rust does.

use std::fmt::Write as _;

use crate::width::{pad, width};

/// How a row's values are shown.
#[derive(Clone, Copy)]
pub enum Unit {
    /// Seconds, shown in µs, ms or s.
    Seconds,
    Bytes,
    PerSecond(&'static str),
    /// A plain number with this many decimals.
    Number(usize),
}

impl Unit {
    pub fn format(self, value: f64) -> String {
        match self {
            Unit::Seconds if value < 1e-3 => format!("{:.1} µs", value * 1e6),
            Unit::Seconds if value < 1.0 => format!("{:.2} ms", value * 1e3),
            Unit::Seconds => format!("{value:.2} s"),
            Unit::Bytes if value < 1024.0 * 1024.0 => format!("{:.1} KiB", value / 1024.0),
            Unit::Bytes => format!("{:.2} MiB", value / (1024.0 * 1024.0)),
            Unit::PerSecond(what) => format!("{} {what}/s", thousands(value.round() as u64)),
            Unit::Number(decimals) => format!("{value:.decimals$}"),
        }
    }

    fn json_name(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::Bytes => "bytes",
            Unit::PerSecond(_) => "per_s",
            Unit::Number(_) => "count",
        }
    }
}

/// `12345` as `12,345`.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// Which way is better.
#[derive(Clone, Copy, PartialEq)]
pub enum Better {
    Lower,
    Higher,
}

/// A target a row must meet.
#[derive(Clone, Copy)]
pub enum Target {
    /// Rust's value ÷ the other's at most this.
    RatioAtMost(f64),
    /// Rust's value ÷ the other's at least this.
    RatioAtLeast(f64),
    /// Rust's value at most this.
    AtMost(f64),
}

pub struct Row {
    pub name: String,
    pub unit: Unit,
    pub better: Better,
    pub rust: Option<f64>,
    pub other: Option<f64>,
    pub targets: Vec<Target>,
    /// Why a value is missing, or what else to know of the row.
    pub note: Option<String>,
    /// Every sample behind the medians, by side.
    pub samples: Vec<(String, Vec<f64>)>,
}

impl Row {
    pub fn new(name: impl Into<String>, unit: Unit, better: Better) -> Row {
        Row {
            name: name.into(),
            unit,
            better,
            rust: None,
            other: None,
            targets: Vec::new(),
            note: None,
            samples: Vec::new(),
        }
    }

    pub fn values(mut self, rust: Option<f64>, other: Option<f64>) -> Row {
        self.rust = rust;
        self.other = other;
        self
    }

    pub fn target(mut self, target: Target) -> Row {
        self.targets.push(target);
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Row {
        self.note = Some(note.into());
        self
    }

    pub fn samples(mut self, label: &str, samples: Vec<f64>) -> Row {
        self.samples.push((label.to_string(), samples));
        self
    }

    /// Rust's value ÷ the other's.
    pub fn ratio(&self) -> Option<f64> {
        match (self.rust, self.other) {
            (Some(rust), Some(other)) if other > 0.0 => Some(rust / other),
            _ => None,
        }
    }

    /// How many times better Rust does (> 1: better).
    pub fn advantage(&self) -> Option<f64> {
        let ratio = self.ratio()?;
        match self.better {
            Better::Higher => Some(ratio),
            Better::Lower if ratio > 0.0 => Some(1.0 / ratio),
            Better::Lower => None,
        }
    }

    pub fn verdict(&self) -> Verdict {
        if self.targets.is_empty() {
            return Verdict::NoTarget;
        }
        let mut met = true;
        for target in &self.targets {
            let passes = match *target {
                Target::RatioAtMost(limit) => self.ratio().map(|ratio| ratio <= limit),
                Target::RatioAtLeast(limit) => self.ratio().map(|ratio| ratio >= limit),
                Target::AtMost(limit) => self.rust.map(|rust| rust <= limit),
            };
            match passes {
                Some(passes) => met &= passes,
                None => return Verdict::NotMeasured,
            }
        }
        if met {
            Verdict::Met
        } else {
            Verdict::Missed
        }
    }

    fn target_text(&self) -> String {
        let texts: Vec<String> = self
            .targets
            .iter()
            .map(|target| match *target {
                Target::RatioAtMost(limit) => format!("≤ {limit:.2}×"),
                Target::RatioAtLeast(limit) => format!("≥ {limit:.2}×"),
                Target::AtMost(limit) => format!("≤ {}", self.unit.format(limit)),
            })
            .collect();
        if texts.is_empty() {
            "—".into()
        } else {
            texts.join(", ")
        }
    }

    /// The advantage a target asks for, for the chart's marks.
    fn advantage_asked(&self) -> Option<f64> {
        self.targets
            .iter()
            .find_map(|target| match (*target, self.better) {
                (Target::RatioAtMost(limit), Better::Lower) if limit > 0.0 => Some(1.0 / limit),
                (Target::RatioAtLeast(limit), Better::Higher) => Some(limit),
                _ => None,
            })
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Verdict {
    Met,
    Missed,
    NotMeasured,
    NoTarget,
}

impl Verdict {
    fn text(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "MISSED",
            Verdict::NotMeasured => "not measured",
            Verdict::NoTarget => "—",
        }
    }

    fn json(self) -> &'static str {
        match self {
            Verdict::Met => "\"met\"",
            Verdict::Missed => "\"missed\"",
            Verdict::NotMeasured => "\"not measured\"",
            Verdict::NoTarget => "null",
        }
    }
}

pub struct Section {
    pub title: String,
    /// A word or two for the chart's labels.
    pub short: &'static str,
    /// Whom Rust is compared with here ("Python", or a C server's name);
    /// `None`: Rust alone.
    pub other: Option<String>,
    pub rows: Vec<Row>,
}

pub struct Report {
    pub date: String,
    pub machine: Vec<(String, String)>,
    pub settings: Vec<(String, String)>,
    pub sections: Vec<Section>,
    /// Where the chart was written, when it was.
    pub chart: Option<String>,
}

impl Report {
    fn rows(&self) -> impl Iterator<Item = (&Section, &Row)> {
        self.sections
            .iter()
            .flat_map(|section| section.rows.iter().map(move |row| (section, row)))
    }

    pub fn count(&self, verdict: Verdict) -> usize {
        self.rows()
            .filter(|(_, row)| row.verdict() == verdict)
            .count()
    }

    /// The report as text tables, one per section.
    pub fn table(&self) -> String {
        let mut text = format!("cargo xtask bench, {}\n", self.date);
        for (key, value) in self.machine.iter().chain(&self.settings) {
            let _ = writeln!(text, "  {}{value}", pad(&format!("{key}:"), 12));
        }
        for section in &self.sections {
            let other = section.other.as_deref().unwrap_or("");
            let header = [
                section.title.clone(),
                "Rust".into(),
                other.to_string(),
                if other.is_empty() {
                    String::new()
                } else {
                    format!("Rust/{other}")
                },
                "target".into(),
                "result".into(),
            ];
            let mut lines = vec![header];
            let mut notes = Vec::new();
            for row in &section.rows {
                let shown =
                    |value: Option<f64>| value.map_or("n/a".to_string(), |v| row.unit.format(v));
                lines.push([
                    row.name.clone(),
                    shown(row.rust),
                    if section.other.is_some() {
                        shown(row.other)
                    } else {
                        String::new()
                    },
                    row.ratio()
                        .map_or(String::new(), |ratio| format!("{ratio:.2}×")),
                    row.target_text(),
                    row.verdict().text().into(),
                ]);
                if let Some(note) = &row.note {
                    notes.push(format!("{}: {note}", row.name));
                }
            }
            let mut widths = [0usize; 6];
            for line in &lines {
                for (column, cell) in line.iter().enumerate() {
                    widths[column] = widths[column].max(width(cell));
                }
            }
            text.push('\n');
            for (index, line) in lines.iter().enumerate() {
                let mut shown = String::new();
                for (column, cell) in line.iter().enumerate() {
                    if column == 0 {
                        shown.push_str(&pad(cell, widths[0]));
                    } else {
                        shown.push_str("  ");
                        shown.push_str(&" ".repeat(widths[column] - width(cell)));
                        shown.push_str(cell);
                    }
                }
                let _ = writeln!(text, "{}", shown.trim_end());
                if index == 0 {
                    let rule = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
                    let _ = writeln!(text, "{}", "-".repeat(rule));
                }
            }
            for note in notes {
                let _ = writeln!(text, "  * {note}");
            }
        }
        let _ = writeln!(
            text,
            "\ntargets: {} met, {} missed, {} not measured",
            self.count(Verdict::Met),
            self.count(Verdict::Missed),
            self.count(Verdict::NotMeasured)
        );
        if let Some(chart) = &self.chart {
            let _ = writeln!(text, "chart of the ratios: {chart}");
        }
        text
    }

    /// The report as one JSON object.
    pub fn json(&self) -> String {
        let pairs = |pairs: &[(String, String)]| {
            let fields: Vec<String> = pairs
                .iter()
                .map(|(key, value)| format!("{}: {}", json_string(key), json_string(value)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        };
        let mut sections = Vec::new();
        for section in &self.sections {
            let mut rows = Vec::new();
            for row in &section.rows {
                let samples: Vec<String> = row
                    .samples
                    .iter()
                    .map(|(label, values)| {
                        let values: Vec<String> =
                            values.iter().map(|v| json_number(Some(*v))).collect();
                        format!("{}: [{}]", json_string(label), values.join(", "))
                    })
                    .collect();
                let targets: Vec<String> = if row.targets.is_empty() {
                    Vec::new()
                } else {
                    vec![json_string(&row.target_text())]
                };
                rows.push(format!(
                    "{{\"name\": {}, \"unit\": {}, \"better\": {}, \"rust\": {}, \"other\": {}, \"ratio\": {}, \"targets\": [{}], \"result\": {}, \"note\": {}, \"samples\": {{{}}}}}",
                    json_string(&row.name),
                    json_string(row.unit.json_name()),
                    json_string(if row.better == Better::Lower { "lower" } else { "higher" }),
                    json_number(row.rust),
                    json_number(row.other),
                    json_number(row.ratio()),
                    targets.join(", "),
                    row.verdict().json(),
                    row.note.as_deref().map_or("null".into(), json_string),
                    samples.join(", "),
                ));
            }
            sections.push(format!(
                "{{\"title\": {}, \"other\": {}, \"rows\": [\n      {}\n    ]}}",
                json_string(&section.title),
                section.other.as_deref().map_or("null".into(), json_string),
                rows.join(",\n      ")
            ));
        }
        format!(
            "{{\n  \"date\": {},\n  \"machine\": {},\n  \"settings\": {},\n  \"sections\": [\n    {}\n  ],\n  \"targets\": {{\"met\": {}, \"missed\": {}, \"not_measured\": {}}},\n  \"chart\": {}\n}}\n",
            json_string(&self.date),
            pairs(&self.machine),
            pairs(&self.settings),
            sections.join(",\n    "),
            self.count(Verdict::Met),
            self.count(Verdict::Missed),
            self.count(Verdict::NotMeasured),
            self.chart.as_deref().map_or("null".into(), json_string),
        )
    }

    /// A horizontal bar per compared row: how many times better Rust does,
    /// on a log scale, with 1× (even) and each target marked.
    pub fn svg(&self) -> String {
        let bars: Vec<(String, f64, Option<f64>)> = self
            .rows()
            .filter_map(|(section, row)| {
                let other = section.other.as_deref()?;
                let advantage = row.advantage()?;
                Some((
                    format!("{} vs {other}: {}", section.short, row.name),
                    advantage,
                    row.advantage_asked(),
                ))
            })
            .collect();
        let (label_width, bar_width, row_height, top) = (340.0, 440.0, 24.0, 40.0);
        let highest = bars
            .iter()
            .flat_map(|(_, advantage, asked)| [Some(*advantage), *asked])
            .flatten()
            .fold(2.0f64, f64::max);
        let lowest = bars
            .iter()
            .map(|(_, advantage, _)| *advantage)
            .fold(0.5f64, f64::min);
        let (low, high) = (lowest.log10(), (highest * 1.5).log10());
        let x = |value: f64| label_width + (value.log10() - low) / (high - low) * bar_width;
        let height = top + row_height * bars.len() as f64 + 40.0;
        let total_width = label_width + bar_width + 80.0;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{total_width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
             <text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
            xml_escape(&format!("How many times better the Rust programs do ({}; log scale, | = target)", self.date))
        );
        for (index, (label, advantage, asked)) in bars.iter().enumerate() {
            let y = top + row_height * index as f64;
            let (from, to) = (x(1.0).min(x(*advantage)), x(1.0).max(x(*advantage)));
            let colour = if *advantage >= 1.0 {
                "#3a7d44"
            } else {
                "#b03a2e"
            };
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n<rect x=\"{from:.1}\" y=\"{}\" width=\"{:.1}\" height=\"{}\" fill=\"{colour}\"/>\n<text x=\"{:.1}\" y=\"{}\">{}</text>",
                label_width - 8.0,
                y + 15.0,
                xml_escape(label),
                y + 4.0,
                (to - from).max(1.0),
                row_height - 8.0,
                to + 4.0,
                y + 15.0,
                xml_escape(&format!("{advantage:.2}×")),
            );
            if let Some(asked) = asked {
                let _ = writeln!(
                    svg,
                    "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1}\" y2=\"{2}\" stroke=\"black\" stroke-width=\"2\"/>",
                    x(*asked),
                    y + 1.0,
                    y + row_height - 1.0
                );
            }
        }
        let axis_y = top + row_height * bars.len() as f64 + 4.0;
        let _ = writeln!(
            svg,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1}\" y2=\"{2}\" stroke=\"grey\" stroke-dasharray=\"4 3\"/>\n<text x=\"{0:.1}\" y=\"{3}\" text-anchor=\"middle\">1× (even)</text>\n</svg>",
            x(1.0),
            top - 4.0,
            axis_y,
            axis_y + 16.0
        );
        svg
    }
}

/// A JSON string literal.
pub fn json_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for ch in text.chars() {
        match ch {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            ch if (ch as u32) < 0x20 => {
                let _ = write!(quoted, "\\u{:04x}", ch as u32);
            }
            ch => quoted.push(ch),
        }
    }
    quoted.push('"');
    quoted
}

/// A JSON number, or `null` for none (and for what JSON cannot hold).
fn json_number(value: Option<f64>) -> String {
    match value {
        Some(value) if value.is_finite() => format!("{value}"),
        _ => "null".into(),
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_show_readable_values() {
        assert_eq!(Unit::Seconds.format(0.0000123), "12.3 µs");
        assert_eq!(Unit::Seconds.format(0.0123), "12.30 ms");
        assert_eq!(Unit::Seconds.format(2.5), "2.50 s");
        assert_eq!(Unit::Bytes.format(379_088.0), "370.2 KiB");
        assert_eq!(Unit::Bytes.format(9_437_184.0), "9.00 MiB");
        assert_eq!(Unit::PerSecond("req").format(59_688.4), "59,688 req/s");
        assert_eq!(Unit::Number(2).format(6.0), "6.00");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn verdicts_follow_the_targets() {
        let cpu = |rust, python| {
            Row::new("cpu", Unit::Seconds, Better::Lower)
                .values(rust, python)
                .target(Target::RatioAtMost(0.8))
        };
        assert_eq!(cpu(Some(7.0), Some(10.0)).verdict(), Verdict::Met);
        assert_eq!(cpu(Some(9.0), Some(10.0)).verdict(), Verdict::Missed);
        assert_eq!(cpu(None, Some(10.0)).verdict(), Verdict::NotMeasured);
        let rss = Row::new("rss", Unit::Bytes, Better::Lower)
            .values(Some(2e6), Some(10e6))
            .target(Target::RatioAtMost(0.25))
            .target(Target::AtMost(3.0 * 1024.0 * 1024.0));
        assert_eq!(rss.verdict(), Verdict::Met);
        assert_eq!(rss.target_text(), "≤ 0.25×, ≤ 3.00 MiB");
        let big = Row::new("rss", Unit::Bytes, Better::Lower)
            .values(Some(4e6), Some(100e6))
            .target(Target::RatioAtMost(0.25))
            .target(Target::AtMost(3.0 * 1024.0 * 1024.0));
        assert_eq!(big.verdict(), Verdict::Missed);
        let throughput = Row::new("rps", Unit::PerSecond("req"), Better::Higher)
            .values(Some(12.0), Some(10.0))
            .target(Target::RatioAtLeast(1.0));
        assert_eq!(throughput.verdict(), Verdict::Met);
        assert_eq!(throughput.advantage(), Some(1.2));
        assert_eq!(
            Row::new("x", Unit::Number(0), Better::Lower).verdict(),
            Verdict::NoTarget
        );
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(
            json_string("a\"b\\c\nd\u{1}é"),
            "\"a\\\"b\\\\c\\nd\\u0001é\""
        );
    }

    #[test]
    fn a_report_renders_as_table_json_and_svg() {
        let report = Report {
            date: "2026-11-25 07:00 UTC".into(),
            machine: vec![("cores".into(), "2".into())],
            settings: vec![("rounds".into(), "1".into())],
            sections: vec![Section {
                title: "hello-server".into(),
                short: "hello",
                other: Some("Python".into()),
                rows: vec![Row::new("CPU per request", Unit::Seconds, Better::Lower)
                    .values(Some(10e-6), Some(40e-6))
                    .target(Target::RatioAtMost(0.8))
                    .samples("Rust", vec![10e-6])
                    .samples("Python", vec![40e-6])],
            }],
            chart: None,
        };
        let table = report.table();
        assert!(table.contains("CPU per request"), "{table}");
        assert!(table.contains("10.0 µs"), "{table}");
        assert!(table.contains("0.25×"), "{table}");
        assert!(
            table.contains("targets: 1 met, 0 missed, 0 not measured"),
            "{table}"
        );
        let json = report.json();
        assert!(json.contains("\"result\": \"met\""), "{json}");
        assert!(
            json.contains("\"samples\": {\"Rust\": [0.00001], \"Python\": [0.00004]}"),
            "{json}"
        );
        let svg = report.svg();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("4.00×"), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
    }
}
