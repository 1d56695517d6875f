//! `switchboard emulator` as a process: keys from the environment and from files (so that `ps`
//! shows no secret), and the two address lines a script reads.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// `GET path` on `url` (`http://ADDR`) signed with `sid`/`secret`; answers the status line.
fn status(url: &str, path: &str, sid: &str, secret: &str) -> String {
    let token = pcc::auth::mint_token(
        &pcc::Credentials::new(sid, secret),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    );
    let addr = url.strip_prefix("http://").unwrap();
    let mut tcp = TcpStream::connect(addr).unwrap();
    write!(
        tcp,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nX-STRINGEE-AUTH: {}\r\n\r\n",
        token.expose()
    )
    .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).unwrap();
    answer.lines().next().unwrap_or_default().to_owned()
}

/// Kills the emulator when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn keys_come_from_the_environment_and_files_and_never_from_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let api_keys = dir.path().join("api-keys");
    std::fs::write(&api_keys, "# local keys\nSKfile:file-secret-1234\n").unwrap();
    let account_keys = dir.path().join("account-keys");
    std::fs::write(&account_keys, "ACfile:account-secret-5678\n").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["emulator", "--listen", "127.0.0.1:0", "--api-key-file"])
        .arg(&api_keys)
        .arg("--account-key-file")
        .arg(&account_keys)
        .env("SWITCHBOARD_EMULATOR_API_KEY", "SKenv:env-secret-9999")
        .env_remove("SWITCHBOARD_EMULATOR_ACCOUNT_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let mut stdout = BufReader::new(running.0.stdout.take().unwrap());
    let mut lines = [String::new(), String::new()];
    for line in &mut lines {
        stdout.read_line(line).unwrap();
    }
    let pcc = lines[0]
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let call_api = lines[1]
        .trim()
        .strip_prefix("call api on ")
        .unwrap()
        .to_owned();

    assert!(status(&pcc, "/v1/agent", "SKenv", "env-secret-9999").contains(" 200 "));
    assert!(status(&pcc, "/v1/agent", "SKfile", "file-secret-1234").contains(" 200 "));
    assert!(status(&pcc, "/v1/agent", "SKfile", "guessed").contains(" 403 "));
    assert!(status(&call_api, "/v1/project", "ACfile", "account-secret-5678").contains(" 200 "));
    assert!(status(&call_api, "/v1/project", "SKenv", "env-secret-9999").contains(" 403 "));

    // What `ps` shows holds no secret.
    #[cfg(target_os = "linux")]
    {
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", running.0.id())).unwrap();
        let cmdline = String::from_utf8_lossy(&cmdline);
        for secret in ["env-secret", "file-secret", "account-secret"] {
            assert!(!cmdline.contains(secret), "{cmdline}");
        }
    }
    // Nor does the banner, which names the SIDs (read up to its end before the kill).
    let mut stderr = String::new();
    let mut lines = BufReader::new(running.0.stderr.take().unwrap());
    while !stderr.contains("stop with Ctrl-C") {
        if lines.read_line(&mut stderr).unwrap() == 0 {
            break;
        }
    }
    assert!(
        stderr.contains("SKenv") && stderr.contains("ACfile"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret-"), "{stderr}");
}

#[test]
fn help_never_shows_a_key_from_the_environment() {
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["emulator", "--help"])
        .env("SWITCHBOARD_EMULATOR_API_KEY", "SKenv:env-secret-9999")
        .env(
            "SWITCHBOARD_EMULATOR_ACCOUNT_KEY",
            "ACenv:account-secret-5678",
        )
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains("SWITCHBOARD_EMULATOR_API_KEY"), "{help}");
    assert!(!help.contains("secret-"), "{help}");
}
