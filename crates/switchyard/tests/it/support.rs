//! Starting the binary and waiting on it, for every end-to-end test.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running `switchyard` child process; killed if the test drops it.
pub struct Server {
    pub child: Child,
    /// The listening addresses, from its `listening` lines.
    pub addrs: Vec<SocketAddr>,
    /// Everything else it printed on stdout before the listening lines.
    stderr_path: std::path::PathBuf,
}

impl Server {
    /// Starts `switchyard ARGS...` and waits for `listeners` listening lines.
    #[track_caller]
    pub fn start(args: &[&str], listeners: usize) -> Server {
        Server::start_with(Command::new(env!("CARGO_BIN_EXE_switchyard")).args(args), listeners)
    }

    /// Starts a prepared command (extra environment, pre_exec limits).
    #[track_caller]
    pub fn start_with(cmd: &mut Command, listeners: usize) -> Server {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let stderr_path = std::env::temp_dir().join(format!("switchyard-it-{}-{n}.log", std::process::id()));
        let stderr = std::fs::File::create(&stderr_path).unwrap();
        let mut child = cmd.stdout(Stdio::piped()).stderr(stderr).stdin(Stdio::null()).spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut addrs = Vec::new();
        while addrs.len() < listeners {
            let mut line = String::new();
            if out.read_line(&mut line).unwrap() == 0 {
                let _ = child.kill();
                let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                panic!("server exited before listening; stderr:\n{log}");
            }
            let addr = line.trim().rsplit(' ').next().unwrap();
            assert!(line.starts_with("listening "), "unexpected line {line:?}");
            addrs.push(addr.parse().unwrap());
        }
        // Keep draining stdout so the child never blocks on it.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = out.read_to_end(&mut sink);
        });
        Server { child, addrs, stderr_path }
    }

    /// Starts `switchyard ARGS...` with one resource limit (`RLIMIT_*`) set
    /// to `soft` and `hard`; `hard` of `None` keeps the hard limit, so
    /// that the test may raise the soft one again later.
    #[track_caller]
    pub fn start_limited<S: AsRef<std::ffi::OsStr>>(
        args: &[S],
        resource: u32,
        soft: libc::rlim_t,
        hard: Option<libc::rlim_t>,
    ) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchyard"));
        cmd.args(args);
        // SAFETY: getrlimit and setrlimit are async-signal-safe and touch
        // only the child.
        unsafe {
            cmd.pre_exec(move || {
                let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
                if libc::getrlimit(resource, &mut lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                lim.rlim_max = hard.unwrap_or(lim.rlim_max);
                lim.rlim_cur = soft.min(lim.rlim_max);
                if libc::setrlimit(resource, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Server::start_with(&mut cmd, 1)
    }

    /// Sets the running server's soft `resource` limit (prlimit(2)).
    pub fn set_limit(&self, resource: u32, soft: libc::rlim_t) {
        let pid = self.child.id() as libc::pid_t;
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: prlimit(2) on our own child, with live rlimit values.
        unsafe {
            assert_eq!(libc::prlimit(pid, resource, std::ptr::null(), &mut lim), 0);
            lim.rlim_cur = soft.min(lim.rlim_max);
            assert_eq!(
                libc::prlimit(pid, resource, &lim, std::ptr::null_mut()),
                0,
                "{}",
                std::io::Error::last_os_error()
            );
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// A client with read and write timeouts set.
    pub fn connect(&self) -> TcpStream {
        connect(self.addr())
    }

    pub fn signal(&self, signo: i32) {
        // SAFETY: kill(2) on our own child's pid.
        let rc = unsafe { libc::kill(self.child.id() as i32, signo) };
        assert_eq!(rc, 0);
    }

    /// Sends SIGTERM and waits for the exit status.
    #[track_caller]
    pub fn stop(mut self) -> ExitStatus {
        self.signal(libc::SIGTERM);
        self.wait(Duration::from_secs(30))
    }

    /// Waits for the process to exit, killing it (and failing) past `limit`.
    #[track_caller]
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("server did not exit within {limit:?}; stderr:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// A size line of /proc/PID/status in bytes: `VmRSS` (resident now)
    /// or `VmHWM` (its peak).
    pub fn memory(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().strip_suffix("kB"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc/PID/status"));
        kib * 1024
    }

    /// What the server logged so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.stderr_path);
    }
}

/// Connects with 10 s read and write timeouts.
#[track_caller]
pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Waits until `cond` holds, failing after `limit`.
#[track_caller]
pub fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}
