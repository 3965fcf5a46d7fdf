//! `cargo xtask check`: our six programs pass it, also `--strict`; Python
//! programs the tests write, with the listings' bugs and the common slips,
//! fail it at the right step with the right hint; the listings with their
//! bugs fixed pass. The programs bind the listings' fixed ports, so each
//! check runs in a private network namespace (`unshare -n`, loopback
//! only), and the tests skip, saying why, where none can be made.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::support::{bin, python3, run, through_a_runner, Proc};

/// Runs `xtask check <args…>` in a network namespace of its own; `None`
/// (with the reason printed) where no namespace can be made here.
fn check(args: &[&str]) -> Option<Proc> {
    in_namespace(&[], args)
}

/// `check(args)`, started by the command `before` (which ends by running
/// the words after it) where one is given.
fn in_namespace(before: &[String], args: &[&str]) -> Option<Proc> {
    if through_a_runner() || !cfg!(target_os = "linux") {
        eprintln!("skipped: the check's fixed ports need a Linux network namespace");
        return None;
    }
    let up = "ip link set lo up && exec \"$@\"";
    let mut why = String::new();
    for unshare in [&["-n"][..], &["-rn"]] {
        let mut command = Command::new("unshare");
        command
            .args(unshare)
            .args(["sh", "-c", up, "sh"])
            .args(before)
            .arg(bin("xtask"));
        command.args(["check", "--no-build"]).args(args);
        let mut ran = Proc::start(command);
        ran.close_stdin();
        // A check is bounded to a minute by design: the guard is above it.
        if ran.try_wait_exit(Duration::from_secs(90)).is_none() {
            ran.fail("check still running after 90 s");
        }
        if !ran.stderr_text().starts_with("unshare:") {
            return Some(ran);
        }
        why = ran.stderr_text();
    }
    eprintln!("skipped: no private network namespace here (root or user namespaces): {why}");
    None
}

/// A Python program written for a test, as a reader would write it.
fn program(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder for the programs");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the program");
    path
}

/// The Python that runs the test's programs, as a command line.
fn python() -> Vec<String> {
    let python = python3();
    let mut words = vec![python.get_program().to_string_lossy().into_owned()];
    words.extend(
        python
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned()),
    );
    words
}

/// `xtask check <program> [--strict] -- python <file>` for a Python
/// program with `text`.
fn check_python(role: &str, strict: bool, file: &str, text: &str) -> Option<Proc> {
    let path = program(file, text);
    let mut args = vec![role];
    if strict {
        args.push("--strict");
    }
    let python = python();
    args.push("--");
    args.extend(python.iter().map(String::as_str));
    let path = path.to_string_lossy().into_owned();
    args.push(&path);
    check(&args)
}

/// The line of the step whose name holds `step`, and what follows it up
/// to the next step.
fn step_of(output: &str, step: &str) -> String {
    let step_line = |line: &&str| line.trim_start().starts_with(['✓', '✗']) && line.contains(step);
    let mut lines = output.lines().skip_while(|line| !step_line(line));
    let first = lines.next().unwrap_or_default();
    let rest = lines.take_while(|line| !line.trim_start().starts_with(['✓', '✗', '结']));
    std::iter::once(first)
        .chain(rest)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The check failed (exit 1) at the step named `step`, with `hint` under it.
#[track_caller]
fn fails_with(checked: &mut Proc, step: &str, hint: &str) {
    checked.assert_exit_code(1);
    let output = checked.stdout_text();
    let failed = step_of(&output, step);
    checked.assert_holds(failed.contains('✗'), format!("no ✗ at {step:?}"));
    // A hint is wrapped to the terminal: its lines joined, with or
    // without a space, hold it.
    let lines: Vec<&str> = failed.lines().map(str::trim).collect();
    checked.assert_holds(
        lines.join(" ").contains(hint) || lines.concat().contains(hint),
        format!("no hint {hint:?} under {step:?}:\n{failed}"),
    );
}

const TCP_CLIENT: &str = r#"import  socket
host='127.0.0.1'
port=8080
web=socket.socket()
s.connect((host,port))
send_data=input("请输入要发送的数据")
s.send(send_data.encode())
recvData=s.recv(1024).decode()
print('接收到的数据为:',recvData)
s.close()
"#;

const HELLO_SERVER: &str = r#"import  socket
host='127.0.0.1'
port=8080
web=socket.socket()
web.bind((host,port))
web.listen(5)
print('服务器等待客户端连接...')
while True:
    conn,addr=web.accept()
    data=conn.recv(1024)
    print(data)
    conn.sendall(b'HTTP/1.1 200 OK\r\n\r\nhello world')
    conn.close()
web.close()
"#;

const CHAT_SERVER: &str = r#"import socket
import threading
import time
host=socket.gethostname()
port=12345
s=socket.socket(socket.AF_INET,socket.SOCK_STREAM)
s.bind((host,port))
s.listen(5)
sock,addr=s.accept()
print('连接已经建立')
class read(threading.Thread):
    def run(self):
        while True:
            recvData =sock.recv(2014).decode()
            print('接收到的数据为:', recvData)
        s.close()
class write(threading.Thread):
    def run(self):
        while True:
            send_data = input('请输入要发送的数据:')
            sock.send(send_data.encode())
            if send_data == 0:
                break
        sock.close()
if __name__ == '__main__':
    read =read()
    write = write()
    read.start()
    write.start()
    resave.join()
    read.join()
    write.join()
"#;

const UDP_SERVER: &str = r#"import socket
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
s.bind(('127.0.0.1',8888))
print('绑定UDP到8888端口')
data,addr=s.recvfrom(1024)
data=float(data)*1.8+32
send_data='转换后的温度(单位:华氏温度):'+str(data)
print('Recrived from %s:%s.'%addr)
s.sendto(send_data.encode(),addr)
s.close()
"#;

const UDP_CLIENT: &str = r#"import socket
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
data=input('请输入要转换的温度(单位:摄氏度):')
s.sendto(data.encode(),('127.0.0.1',8888))
print(s.recv(1024).decode())
s.close()
"#;

#[test]
fn our_six_programs_pass_even_strict() {
    for program in crate::support::PROGRAMS {
        let path = bin(program).to_string_lossy().into_owned();
        let Some(mut checked) = check(&[program, "--strict", "--", &path]) else {
            return;
        };
        checked.assert_exit_code(0);
        checked.assert_holds(!checked.stdout_text().contains('✗'), "a step failed");
    }
}

#[test]
fn the_published_tcp_client_fails_naming_s_and_web() {
    let Some(mut checked) = check_python("tcp-client", false, "tcp_client.py", TCP_CLIENT) else {
        return;
    };
    fails_with(&mut checked, "你的程序读一行", "s=socket.socket()");
    // With the bug fixed it passes; sent without .encode() it does not.
    let fixed = TCP_CLIENT.replace("web=socket.socket()", "s=socket.socket()");
    let Some(mut checked) = check_python("tcp-client", false, "tcp_fixed.py", &fixed) else {
        return;
    };
    checked.assert_exit_code(0);
    let slip = fixed.replace("s.send(send_data.encode())", "s.send(send_data)");
    let Some(mut checked) = check_python("tcp-client", false, "tcp_str.py", &slip) else {
        return;
    };
    fails_with(&mut checked, "对方打印", ".encode()");
    // The wrong port: the client is refused.
    let wrong = fixed.replace("port=8080", "port=8000");
    let Some(mut checked) = check_python("tcp-client", false, "tcp_port.py", &wrong) else {
        return;
    };
    fails_with(&mut checked, "你的程序读一行", "检查 host 和 port");
    // Typed with the Chinese input method on: a full-width colon.
    let wide = fixed.replace("'接收到的数据为:'", "'接收到的数据为：'");
    let Some(mut checked) = check_python("tcp-client", false, "tcp_wide.py", &wide) else {
        return;
    };
    fails_with(&mut checked, "你的程序打印", "你写的是全角（中文）的「：」");
}

#[test]
fn the_published_chat_server_fails_at_0_and_after_the_client_has_gone() {
    let Some(mut checked) = check_python("chat-server", true, "chat_server.py", CHAT_SERVER) else {
        return;
    };
    fails_with(&mut checked, "你的程序以 0 结束", "send_data=='0'");
    fails_with(&mut checked, "对方关闭后结束", "if not recvData: break");
    fails_with(&mut checked, "没有错误和 traceback", "删掉这一行");
    // Its bugs fixed, it passes, further steps too.
    let fixed = CHAT_SERVER
        .replace("    resave.join()\n", "")
        .replace("if send_data == 0:", "if send_data == '0':")
        .replace(
            "recvData =sock.recv(2014).decode()\n",
            "recvData =sock.recv(2014).decode()\n            if not recvData:\n                os._exit(0)\n",
        )
        .replace("        sock.close()\n", "        sock.close()\n        os._exit(0)\n")
        .replace("import socket\n", "import os\nimport socket\n");
    let Some(mut checked) = check_python("chat-server", true, "chat_fixed.py", &fixed) else {
        return;
    };
    checked.assert_exit_code(0);
}

#[test]
fn the_published_udp_pair_passes_the_tutorial_and_fails_further() {
    let Some(mut checked) = check_python("udp-server", false, "udp_server.py", UDP_SERVER) else {
        return;
    };
    checked.assert_exit_code(0);
    let Some(mut checked) = check_python("udp-server", true, "udp_server.py", UDP_SERVER) else {
        return;
    };
    fails_with(&mut checked, "不是数字时", "ValueError");
    // A client that waits for ever with no server is stopped, and told why.
    let Some(mut checked) = check_python("udp-client", true, "udp_client.py", UDP_CLIENT) else {
        return;
    };
    fails_with(&mut checked, "没有服务器", "s.settimeout(3)");
}

#[test]
fn hello_server_slips_a_reply_without_its_blank_line_and_a_decoded_print() {
    let blank = HELLO_SERVER.replace(r"200 OK\r\n\r\nhello", r"200 OK\r\nhello");
    let Some(mut checked) = check_python("hello-server", false, "hello_blank.py", &blank) else {
        return;
    };
    fails_with(&mut checked, "浏览器的请求", "\\r\\n\\r\\n");
    let decoded = HELLO_SERVER.replace("print(data)", "print(data.decode())");
    let Some(mut checked) = check_python("hello-server", false, "hello_decode.py", &decoded) else {
        return;
    };
    fails_with(&mut checked, "浏览器的请求", "print(data)");
}

#[test]
fn a_hello_server_that_never_replies_is_caught_and_stopped() {
    let silent = HELLO_SERVER
        .replace("    conn.sendall", "    #conn.sendall")
        .replace("    conn.close()", "    pass");
    let Some(mut checked) = check_python("hello-server", false, "hello_silent.py", &silent) else {
        return;
    };
    fails_with(&mut checked, "浏览器的请求", "秒内没有回复");
}

#[test]
fn a_missing_file_a_missing_program_and_a_taken_port_stop_the_check() {
    let missing = program("exists.py", "").with_file_name("tcp_clinet.py");
    let missing = missing.to_string_lossy();
    let mut words = python();
    words.push(missing.to_string());
    let mut args = vec!["tcp-client", "--"];
    args.extend(words.iter().map(String::as_str));
    let Some(mut checked) = check(&args) else {
        return;
    };
    checked.assert_exit_code(1);
    checked.assert_stdout_contains("检查停止了 / the check stopped: 找不到你的程序文件");
    checked.assert_stdout_contains("tcp_client.py");

    let Some(mut checked) = check(&["udp-client", "--", "pyhton3", "udp_client.py"]) else {
        return;
    };
    checked.assert_exit_code(1);
    checked.assert_stdout_contains("检查停止了 / the check stopped: 无法运行 pyhton3");

    // A server in another terminal holds 8080: Python listens there, then
    // becomes the check (the socket lives on in it).
    let hold = "import os, socket, sys\n\
                s = socket.create_server(('127.0.0.1', 8080))\n\
                s.set_inheritable(True)\n\
                os.execvp(sys.argv[1], sys.argv[1:])";
    let mut before = python();
    before.extend(["-c".to_string(), hold.to_string()]);
    let Some(mut checked) = in_namespace(&before, &["hello-server", "--", "python3", "x.py"])
    else {
        return;
    };
    checked.assert_exit_code(1);
    checked.assert_stdout_contains("127.0.0.1:8080 已被占用 / is taken");
    checked.assert_stdout_contains("另一个终端里的服务器");
    checked.assert_stdout_lacks("✓");
}

#[test]
fn usage_errors_name_the_six_programs_and_exit_2() {
    let xtask = || {
        let mut command = Command::new(bin("xtask"));
        command.arg("check");
        command
    };
    for args in [
        &[][..],
        &["nobody", "--", "x"],
        &["hello-server"],
        &["hello-server", "--frob", "--", "x"],
    ] {
        let mut command = xtask();
        command.args(args);
        let mut ran = run(command, b"");
        ran.assert_exit_code(2);
        for program in crate::support::PROGRAMS {
            ran.assert_stderr_contains(program);
        }
    }
    // The slips: `--` forgotten, the file's name or the pairing's.
    for (args, said) in [
        (
            &["tcp_client", "python3", "x.py"][..],
            "cargo xtask check tcp-client -- python3 x.py",
        ),
        (&["tcp", "--", "x"], "did you mean tcp-client?"),
        (&["chat_server.py", "--", "x"], "did you mean chat-server?"),
        (&["udp", "--", "x"], "did you mean udp-server / udp-client?"),
    ] {
        let mut command = xtask();
        command.args(args);
        let mut ran = run(command, b"");
        ran.assert_exit_code(2);
        ran.assert_stderr_contains(said);
    }
}
