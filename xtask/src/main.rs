//! `cargo xtask <task>` (the alias is in `.cargo/config.toml`): runs one of
//! the tasks of the library (`lib.rs`), and says how it went: exit 0, 1
//! when the task failed, 2 when the command line was wrong.

use std::process::ExitCode;

use xtask::{bench, check, compare, demo, out, trace, TaskError};

const TASKS: &str = include_str!("help/tasks.txt");
const TASK_NAMES: [&str; 5] = ["demo", "compare", "bench", "trace", "check"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) =
        args.split_first().map_or(("", &[][..]), |(task, rest)| (task.as_str(), rest));
    let outcome = match task {
        "demo" => demo::run(rest),
        "compare" => compare::run(rest),
        "bench" => bench::run(rest),
        "trace" => trace::run(rest),
        "check" => check::run(rest),
        "-h" | "--help" | "help" => {
            out(TASKS);
            Ok(())
        }
        "" => Err(TaskError::usage("没有指定任务 / no task given")),
        other => Err(TaskError::usage(format!("未知任务 / unknown task {other:?}"))),
    };
    let (message, code) = match outcome {
        Ok(()) => return ExitCode::SUCCESS,
        // A known task's usage error points to its own help, not the list.
        Err(TaskError::Usage(message)) if !TASK_NAMES.contains(&task) => {
            (format!("{message}\n\n{TASKS}"), 2)
        }
        Err(TaskError::Usage(message)) => (
            format!("{message}\n`cargo xtask {task} --help` 介绍这个任务 / tells more about it"),
            2,
        ),
        Err(TaskError::Failed(message)) => (message, 1),
    };
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "xtask: {message}");
    ExitCode::from(code)
}
