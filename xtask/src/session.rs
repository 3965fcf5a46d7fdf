//! Playing a run of a pairing's session from the table (`pairings.rs`):
//! each side started, what it must print waited for, each line typed at
//! its prompt, the GET sent and its reply checked, each side's end seen,
//! every wait within the harness's hang guard. What starts a program and
//! what is shown of each step is the [`Stage`]'s: demo prints a transcript,
//! trace runs every program under strace.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use crate::harness::{find, Process, HANG_GUARD};
use crate::pairings::{get_request, Pairing, Program, Role, Step, HELLO_REPLY, RECEIVED};
use crate::TaskError;

/// A program of the session.
pub struct Side {
    pub program: &'static Program,
    pub role: Role,
    pub process: Process,
    /// How much of its stdout the stage has shown (the stage's to keep).
    pub shown: usize,
    /// Where in its stdout the next expectation starts looking.
    cursor: usize,
    /// The lines typed so far.
    typed: usize,
}

/// What a session has come to, for the stage to show.
pub enum Event<'a> {
    /// A server is ready at this address.
    Ready(&'a mut Side, SocketAddr),
    /// A side printed what the script waited for.
    Printed(&'a mut Side),
    /// The script types this line at the side's prompt.
    Types(&'a mut Side, &'a str),
    /// The script sent this request, or read this reply.
    Request(&'a str),
    Reply(&'a [u8]),
    /// A side has ended: exited, or stopped by the script (`true`).
    Ended(&'a mut Side, bool),
}

/// What plays sessions: starts their programs, shows their events.
pub trait Stage {
    /// Starts `program` with its one argument: the address a server
    /// listens on, the server a client talks to.
    fn start(&mut self, program: &'static Program, arg: &str) -> Result<Process, TaskError>;
    /// Shows what the session has come to.
    fn show(&mut self, event: Event);
    /// Stops a program that would serve forever, as the listing's does.
    fn stop(&mut self, side: &mut Side) {
        side.process.kill();
    }
    /// Whether its programs are the listings, whose chat-server goes on
    /// after `0`.
    fn listings(&self) -> bool {
        false
    }
}

/// Plays `run` of `pairing`'s session on `stage`; the GET says it comes
/// from `agent`.
pub fn play(
    pairing: &Pairing,
    run: &[Step],
    stage: &mut impl Stage,
    agent: &str,
) -> Result<(), TaskError> {
    let mut sides: [Option<Side>; 2] = [None, None];
    let played = steps(pairing, run, stage, agent, &mut sides);
    // What still runs after a failure is stopped as the stage stops it.
    for side in sides.iter_mut().flatten().filter(|_| played.is_err()) {
        if side.process.exited().is_none() {
            stage.stop(side);
        }
    }
    played
}

/// The steps of [`play`], each side kept in `sides` as it starts.
fn steps(
    pairing: &Pairing,
    run: &[Step],
    stage: &mut impl Stage,
    agent: &str,
    sides: &mut [Option<Side>; 2],
) -> Result<(), TaskError> {
    let (mut addr, mut get) = (None, None);
    let missing = || TaskError::failed("a step before its program started");
    for &step in run {
        match step {
            Step::Start(role) => {
                let program = pairing.program(role).ok_or_else(missing)?;
                let arg = addr.map_or("127.0.0.1:0".into(), |addr: SocketAddr| addr.to_string());
                let (started, ready) = start(stage, program, role, &arg)?;
                (addr, sides[role as usize]) = (addr.or(ready), Some(started));
            }
            Step::Get => {
                let addr = addr.ok_or_else(missing)?;
                let request = get_request(&addr.to_string(), agent);
                let failed =
                    |error| TaskError::failed(format!("cannot send a GET to {addr}: {error}"));
                let mut stream = TcpStream::connect(addr).map_err(failed)?;
                stage.show(Event::Request(&request));
                stream.write_all(request.as_bytes()).map_err(failed)?;
                get = Some(stream);
            }
            Step::Reply => {
                let (mut reply, mut stream) = (Vec::new(), get.take().ok_or_else(missing)?);
                let read = stream
                    .set_read_timeout(Some(HANG_GUARD))
                    .and_then(|()| stream.read_to_end(&mut reply));
                read.map_err(|error| TaskError::failed(format!("no complete reply: {error}")))?;
                stage.show(Event::Reply(&reply));
                if reply != HELLO_REPLY.as_bytes() {
                    let reply = String::from_utf8_lossy(&reply);
                    let why = format!("the reply was {reply:?}, not {HELLO_REPLY:?}");
                    return Err(TaskError::failed(why));
                }
            }
            // The pause is the input: a person taking their time.
            Step::Pause(ms) => std::thread::sleep(std::time::Duration::from_millis(ms)),
            Step::Prints(role, pieces) => expect(stage, side(sides, role)?, &pieces.concat())?,
            Step::Types(role, line) => type_line(stage, side(sides, role)?, line)?,
            Step::Says(role, line) => {
                type_line(stage, side(sides, role)?, line)?;
                let other =
                    side(sides, if role == Role::Server { Role::Client } else { Role::Server })?;
                expect(stage, other, &format!("{RECEIVED}{line}\n"))?;
            }
            Step::Connects | Step::SendsLate(_) => {
                return Err(TaskError::failed("a step of check's further runs only"))
            }
            Step::ExitsUnlikeTheListing(role, _) if stage.listings() => {
                end(stage, side(sides, role)?, None)?
            }
            Step::Exits(role, code) | Step::ExitsUnlikeTheListing(role, code) => {
                end(stage, side(sides, role)?, Some(code))?
            }
            Step::Stopped(role) | Step::Ends(role) => end(stage, side(sides, role)?, None)?,
        }
    }
    Ok(())
}

/// The side playing `role`, which must have started.
fn side(sides: &mut [Option<Side>; 2], role: Role) -> Result<&mut Side, TaskError> {
    let missing = || TaskError::failed("a step before its program started");
    sides[role as usize].as_mut().ok_or_else(missing)
}

/// Starts `program` playing `role` with `arg`; a server's readiness line
/// is waited for, and its address returned.
pub fn start(
    stage: &mut impl Stage,
    program: &'static Program,
    role: Role,
    arg: &str,
) -> Result<(Side, Option<SocketAddr>), TaskError> {
    let process = stage.start(program, arg)?;
    let mut side = Side { program, role, process, shown: 0, cursor: 0, typed: 0 };
    if role == Role::Client {
        return Ok((side, None));
    }
    let ready = side.process.wait_ready()?;
    stage.show(Event::Ready(&mut side, ready));
    Ok((side, Some(ready)))
}

/// Waits until `text` is on the side's stdout after what earlier
/// expectations matched.
pub fn expect(stage: &mut impl Stage, side: &mut Side, text: &str) -> Result<(), TaskError> {
    let (needle, cursor) = (text.as_bytes(), side.cursor);
    let found = |printed: &crate::harness::Printed| find(&printed.stdout[cursor..], needle);
    let what = format!("{} to print {text:?}", side.program.name);
    side.process.wait_for(what, HANG_GUARD, |printed| found(printed).is_some())?;
    side.cursor += side.process.printed(found).unwrap_or(0) + needle.len();
    stage.show(Event::Printed(side));
    Ok(())
}

/// Waits for the side's prompt, then types `line`.
pub fn type_line(stage: &mut impl Stage, side: &mut Side, line: &str) -> Result<(), TaskError> {
    side.typed += 1;
    side.process.wait_text(false, side.program.prompt.unwrap_or_default(), side.typed)?;
    stage.show(Event::Types(side, line));
    Ok(side.process.type_in(format!("{line}\n").as_bytes())?)
}

/// Waits for the side to exit with `code`, or stops it (`None`).
pub fn end(stage: &mut impl Stage, side: &mut Side, code: Option<i32>) -> Result<(), TaskError> {
    if code.is_none() {
        stage.stop(side);
    }
    let status = side.process.wait_exit(HANG_GUARD)?;
    stage.show(Event::Ended(side, code.is_none()));
    match code {
        Some(code) if status.code() != Some(code) => {
            let why = format!("{} exited ({status}), not with {code}", side.program.name);
            Err(TaskError::failed(side.process.fail(why)))
        }
        _ => Ok(()),
    }
}
