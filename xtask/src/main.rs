//! `cargo xtask <task>` (the alias is in `.cargo/config.toml`): runs one of
//! the tasks of the library (`lib.rs`), and says how it went: exit 0, 1
//! when the task failed, 2 when the command line was wrong.

use std::process::ExitCode;

use xtask::{bench, compare, demo, out, trace, TaskError};

const TASKS: &str = "\
用法 / usage: cargo xtask <task> [options]

任务 / tasks:
  demo <hello|tcp|chat|udp|all>   运行一对程序，显示两边的对话
                                  run a pairing end to end, show the transcript
  demo chat --live                你来当 chat-client，服务器由脚本回答
                                  be chat-client yourself, with a scripted server
  compare <crate> [--markdown]    Python 原文与 Rust 逐行对照
                                  a crate's main.rs beside its Python listing
  compare --html [DIR]            同上，写成离线网页 (target/compare/)
                                  the same as offline web pages
  compare --check                 检查每个 crate 的 `// py:` 注释
                                  check every crate's `// py:` annotations
  bench [--quick]                 与教程的 Python 程序比较性能
                                  measure the programs against the Python listings
  trace <hello|tcp|chat|udp>      每行代码下面的系统调用，Python 与 Rust 对照
        [--packets] [--html]      the system calls under each line, side by side
                                  (strace; --packets: 回环上的数据包 / tcpdump)

`cargo xtask <task> --help` 介绍每个任务 / tells more about each.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("", &[][..]),
    };
    let outcome = match task {
        "demo" => demo::run(rest),
        "compare" => compare::run(rest),
        "bench" => bench::run(rest),
        "trace" => trace::run(rest),
        "-h" | "--help" | "help" => {
            out(TASKS);
            Ok(())
        }
        "" => Err(TaskError::usage("没有指定任务 / no task given")),
        other => Err(TaskError::usage(format!(
            "未知任务 / unknown task {other:?}"
        ))),
    };
    let (message, code) = match outcome {
        Ok(()) => return ExitCode::SUCCESS,
        Err(TaskError::Usage(message)) => (format!("{message}\n\n{TASKS}"), 2),
        Err(TaskError::Failed(message)) => (message, 1),
    };
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "xtask: {message}");
    ExitCode::from(code)
}
