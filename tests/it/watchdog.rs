//! A hang detector for child processes: a child that has used more than
//! `cpu` seconds of CPU, or been alive `wall` seconds, is killed. CPU time
//! rather than wall time decides, so a machine busy with other work does not
//! turn a slow-but-finite run into a reported hang.
#![allow(dead_code)]

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// How a watched child ended.
pub enum Ended {
    Exited(ExitStatus),
    /// Killed after using `cpu` of CPU time over `wall` of time.
    Hung {
        cpu: Duration,
        wall: Duration,
    },
}

/// CPU time (user + system) used so far by process `pid`, from /proc.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let (utime, stime): (u64, u64) = (fields.get(11)?.parse().ok()?, fields.get(12)?.parse().ok()?);
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Some(Duration::from_millis((utime + stime) * 1000 / ticks))
}

/// Wait for `child`, killing it past `cpu` of CPU time or `wall` of time.
pub fn wait(child: &mut Child, cpu: Duration, wall: Duration) -> Ended {
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Ended::Exited(status);
        }
        let used = cpu_time(child.id()).unwrap_or_default();
        if used > cpu || start.elapsed() > wall {
            let _ = child.kill();
            let _ = child.wait();
            return Ended::Hung {
                cpu: used,
                wall: start.elapsed(),
            };
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}
