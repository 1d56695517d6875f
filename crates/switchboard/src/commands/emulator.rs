//! `switchboard emulator`: runs the local PCC emulator until SIGINT or SIGTERM. The first
//! line of standard output is `listening on http://ADDR` (PCC), the second `call api on
//! http://ADDR`; notices go to standard error.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context as _, bail};
use emulator::{ApiKey, Config, Faults, RateLimit, Wiring};

use crate::Exit;
use crate::cli::{EmulatorArgs, Global, WiringArg};

pub fn run(_global: &Global, args: EmulatorArgs) -> anyhow::Result<Exit> {
    let (listen, config) = config(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(listen, config, &mut crate::output::Stdout, |_| {
        stopped()
    }))?;
    Ok(Exit::Ok)
}

/// The keys given on the command line (or in the variable) and in the file, parsed. Messages
/// name the flag, the file and the line, never a secret.
fn keys(flag: &str, given: &[String], file: Option<&Path>) -> anyhow::Result<Vec<ApiKey>> {
    let mut keys = Vec::new();
    for value in given.iter().filter(|v| !v.trim().is_empty()) {
        keys.push(
            value
                .trim()
                .parse::<ApiKey>()
                .with_context(|| flag.to_owned())?,
        );
    }
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{flag}-file: cannot read {}", path.display()))?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            keys.push(
                line.parse::<ApiKey>()
                    .with_context(|| format!("{flag}-file {}, line {}", path.display(), n + 1))?,
            );
        }
        warn_if_readable_by_others(path);
    }
    Ok(keys)
}

/// A key file others can read gives the keys away, as `ps` would.
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o044 != 0
        {
            crate::output::eprintln(format_args!(
                "emulator: warning: {} is readable by other users; `chmod 600` it",
                path.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn address(flag: &str, text: &str) -> anyhow::Result<SocketAddr> {
    text.parse().with_context(|| {
        format!("{flag} `{text}` is not an IP address and port such as 127.0.0.1:8080")
    })
}

fn rate_limit(flag: &str, text: Option<&str>) -> anyhow::Result<Option<RateLimit>> {
    text.map(|t| t.parse::<RateLimit>().with_context(|| flag.to_owned()))
        .transpose()
}

/// The address and configuration the flags ask for, checked.
fn config(args: &EmulatorArgs) -> anyhow::Result<(SocketAddr, Config)> {
    let api_keys = keys("--api-key", &args.api_keys, args.api_key_file.as_deref())?;
    if api_keys.is_empty() {
        bail!(
            "no API key: pass --api-key SID:SECRET (repeatable), SWITCHBOARD_EMULATOR_API_KEY or \
             --api-key-file FILE; clients sign their tokens with that secret, for example \
             `--api-key SKlocal:$(openssl rand -hex 16)`"
        );
    }
    let account_keys = keys(
        "--account-key",
        &args.account_keys,
        args.account_key_file.as_deref(),
    )?;
    let listen = address("--listen", &args.listen)?;
    let call_api_listen = args
        .call_api_listen
        .as_deref()
        .map(|text| address("--call-api-listen", text))
        .transpose()?;
    // Named by their flags here: the emulator's own check names its configuration fields.
    for (flag, share) in [
        ("--fail-rate", args.fail_rate),
        ("--throttle-rate", args.throttle_rate),
        ("--drop-rate", args.drop_rate),
        ("--late-rate", args.late_rate),
    ] {
        if !(0.0..=1.0).contains(&share) {
            bail!("{flag} must be between 0 and 1 (got {share}): it is the share of requests hit");
        }
    }
    let faults = Faults {
        latency_ms: args.latency_ms,
        fail_rate: args.fail_rate,
        throttle_rate: args.throttle_rate,
        retry_after_secs: args.retry_after_secs,
        drop_rate: args.drop_rate,
        late_rate: args.late_rate,
        late_ms: args.late_ms,
        seed: args.seed,
        rate_limit: rate_limit("--rate-limit", args.rate_limit.as_deref())?,
        rate_limit_per_kind: rate_limit(
            "--rate-limit-per-kind",
            args.rate_limit_per_kind.as_deref(),
        )?,
    };
    faults.validate()?;
    let config = Config {
        state: args.state.clone(),
        account_keys,
        faults,
        call_api_listen,
        wiring: match args.wiring {
            WiringArg::Pcc => Wiring::Pcc,
            WiringArg::Unset => Wiring::Unset,
        },
        ..Config::new(api_keys)
    };
    Ok((listen, config))
}

/// Starts the emulator, writes the two address lines to `out`, serves until `until(url)`
/// completes, then shuts down cleanly.
async fn serve<W, F, Fut>(
    listen: SocketAddr,
    config: Config,
    out: &mut W,
    until: F,
) -> anyhow::Result<()>
where
    W: Write,
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let state = match &config.state {
        Some(path) => format!("state in {}", path.display()),
        None => "state in memory (lost on exit)".to_owned(),
    };
    let sids = |keys: &[ApiKey]| {
        keys.iter()
            .map(|k| k.sid.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let keys = sids(&config.api_keys);
    let account = match sids(&config.account_keys) {
        none if none.is_empty() => {
            "no account key (the account API refuses every request)".to_owned()
        }
        some => format!("account key(s) {some}"),
    };
    let project = config.project_id;
    let emu = emulator::spawn(listen, config).await?;
    // One write (so both lines reach a reader that reads once), and a reader that closes the
    // pipe once it has the address it wanted does not stop the emulator.
    let lines = format!(
        "listening on {}\ncall api on {}\n",
        emu.url(),
        emu.call_api_url()
    );
    match out.write_all(lines.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => return Err(err.into()),
        _ => {}
    }
    crate::output::eprintln(format_args!(
        "emulator: project {project}, {state}, accepting key(s) {keys}, {account}; PCC at {}, \
         Call API at {} (or a Host that starts with `api.`); admin at {}/_emulator; stop with \
         Ctrl-C",
        emu.url(),
        emu.call_api_url(),
        emu.url(),
    ));
    for warning in exposure_warnings(&[emu.addr(), emu.call_api_addr()]) {
        crate::output::eprintln(warning);
    }
    let result = until(emu.url()).await;
    crate::output::eprintln("emulator: stopping");
    emu.shutdown().await;
    result
}

/// A warning for each address bound where other machines may reach it, naming the address
/// as bound (the real port when port 0 was asked).
fn exposure_warnings(bound: &[SocketAddr]) -> Vec<String> {
    bound
        .iter()
        .filter(|addr| !addr.ip().to_canonical().is_loopback())
        .map(|addr| {
            format!(
                "emulator: warning: bound to {addr}, which other machines may reach: anyone who \
                 can connect may call the API with a token of an accepted key, and the admin \
                 endpoints (faults, state) answer them only with such a token. Listen on \
                 127.0.0.1 unless you mean it."
            )
        })
        .collect()
}

/// Waits for SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn stopped() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
        tokio::select! {
            ctrl_c = tokio::signal::ctrl_c() => ctrl_c.context("cannot watch SIGINT")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("cannot watch Ctrl-C")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    fn args(api_keys: &[&str]) -> EmulatorArgs {
        EmulatorArgs {
            listen: "127.0.0.1:0".into(),
            call_api_listen: None,
            state: None,
            api_keys: api_keys.iter().map(|k| (*k).to_owned()).collect(),
            api_key_file: None,
            account_keys: Vec::new(),
            account_key_file: None,
            wiring: WiringArg::Pcc,
            latency_ms: 0,
            fail_rate: 0.0,
            throttle_rate: 0.0,
            retry_after_secs: 1,
            drop_rate: 0.0,
            late_rate: 0.0,
            late_ms: 1000,
            seed: None,
            rate_limit: None,
            rate_limit_per_kind: None,
        }
    }

    #[test]
    fn flags_are_checked_before_anything_starts() {
        let err = |a: &EmulatorArgs| format!("{:#}", config(a).unwrap_err());
        assert!(err(&args(&[])).contains("no API key"));
        assert!(err(&args(&["nocolon"])).contains("expected SID:SECRET"));
        let secret = err(&args(&["SKa:"]));
        assert!(secret.contains("secret of `SKa` is empty"), "{secret}");
        let mut bad = args(&["SKa:hunter2"]);
        bad.drop_rate = 1.5;
        let message = err(&bad);
        assert_eq!(
            message,
            "--drop-rate must be between 0 and 1 (got 1.5): it is the share of requests hit"
        );
        assert!(!message.contains("hunter2"));
        bad.drop_rate = 0.0;
        bad.fail_rate = 2.0;
        assert!(err(&bad).starts_with("--fail-rate must be between 0 and 1 (got 2)"));
        bad.fail_rate = f64::NAN;
        assert!(err(&bad).starts_with("--fail-rate must be between 0 and 1"));
        bad.fail_rate = 0.0;
        bad.throttle_rate = -0.5;
        assert!(err(&bad).starts_with("--throttle-rate must be between 0 and 1"));
        bad.throttle_rate = 0.0;
        bad.late_rate = -0.1;
        assert!(err(&bad).starts_with("--late-rate must be between 0 and 1"));
        bad.late_rate = 0.0;
        bad.listen = "localhost".into();
        assert!(err(&bad).contains("--listen `localhost`"));
        bad.listen = "127.0.0.1:0".into();
        bad.rate_limit_per_kind = Some("30".into());
        assert_eq!(
            err(&bad),
            "--rate-limit-per-kind: invalid fault setting: rate limit `30`: expected N/SECS, \
             such as 300/10 (300 requests per 10 s)"
        );
        bad.rate_limit_per_kind = Some("30/10".into());
        bad.rate_limit = Some("300/0.5".into());
        let (_, limited) = config(&bad).unwrap();
        assert_eq!(limited.faults.rate_limit.unwrap().to_string(), "300/0.5");
        assert_eq!(
            limited.faults.rate_limit_per_kind.unwrap().window_ms,
            10_000
        );

        let (listen, config) = config(&args(&["SKa:b:c", "SKd:e"])).unwrap();
        assert_eq!(listen.port(), 0);
        assert_eq!(config.api_keys[0].secret, "b:c");
        assert_eq!(config.api_keys.len(), 2);
        assert_eq!(config.faults.retry_after_secs, 1);
        assert_eq!(config.faults.late_ms, 1000);
    }

    #[tokio::test]
    async fn the_first_line_of_output_is_the_url_it_serves() {
        let (listen, config) = config(&args(&["SKlocal:secret"])).unwrap();
        let mut out = Vec::new();
        let mut seen = String::new();
        serve(listen, config, &mut out, |url| {
            let seen = &mut seen;
            async move {
                let addr = url.strip_prefix("http://").unwrap();
                let mut tcp = tokio::net::TcpStream::connect(addr).await?;
                tcp.write_all(b"GET /_emulator/stats HTTP/1.0\r\n\r\n")
                    .await?;
                tcp.read_to_string(seen).await?;
                Ok(())
            }
        })
        .await
        .unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert!(out.ends_with('\n') && lines.len() == 2, "{out:?}");
        let port = |line: &str, prefix: &str| -> u16 {
            line.strip_prefix(prefix).unwrap().parse().unwrap()
        };
        let pcc = port(lines[0], "listening on http://127.0.0.1:");
        let call = port(lines[1], "call api on http://127.0.0.1:");
        assert!(pcc != 0 && call != 0 && pcc != call, "{out:?}");
        assert!(seen.starts_with("HTTP/1.0 200"), "{seen}");
        assert!(seen.contains(r#""requests":{}"#), "{seen}");
    }

    #[test]
    fn only_addresses_others_can_reach_are_warned_about_with_their_real_port() {
        let bound: Vec<SocketAddr> = [
            "127.0.0.1:8080",
            "[::1]:8081",
            "[::ffff:127.0.0.1]:8082",
            "0.0.0.0:43121",
            "192.168.1.20:8080",
            "[::]:9000",
        ]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
        let warnings = exposure_warnings(&bound);
        assert_eq!(warnings.len(), 3, "{warnings:#?}");
        assert!(warnings[0].starts_with("emulator: warning: bound to 0.0.0.0:43121,"));
        assert!(warnings[1].starts_with("emulator: warning: bound to 192.168.1.20:8080,"));
        assert!(warnings[2].starts_with("emulator: warning: bound to [::]:9000,"));
    }

    #[test]
    fn keys_come_from_flags_and_files_and_errors_never_show_a_secret() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keys");
        std::fs::write(
            &file,
            "# the team's keys\n\nSKfile:file-secret\n  SKtwo:a:b  \n",
        )
        .unwrap();
        let parsed = keys(
            "--api-key",
            &["SKflag:flag-secret".into(), " ".into()],
            Some(&file),
        )
        .unwrap();
        let got: Vec<(&str, &str)> = parsed
            .iter()
            .map(|k| (k.sid.as_str(), k.secret.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("SKflag", "flag-secret"),
                ("SKfile", "file-secret"),
                ("SKtwo", "a:b")
            ]
        );

        std::fs::write(&file, "SKfile:file-secret\nhunter2-no-colon\n").unwrap();
        let err = format!("{:#}", keys("--account-key", &[], Some(&file)).unwrap_err());
        assert!(
            err.contains(&format!("--account-key-file {}, line 2", file.display())),
            "{err}"
        );
        assert!(err.contains("expected SID:SECRET"), "{err}");
        assert!(
            !err.contains("hunter2") && !err.contains("file-secret"),
            "{err}"
        );
        let missing = dir.path().join("absent");
        let err = format!("{:#}", keys("--api-key", &[], Some(&missing)).unwrap_err());
        assert!(err.starts_with("--api-key-file: cannot read"), "{err}");

        let mut only_file = args(&[]);
        std::fs::write(&file, "SKfile:file-secret\n").unwrap();
        only_file.api_key_file = Some(file.clone());
        only_file.account_keys = vec!["ACacct:acct-secret".into()];
        only_file.wiring = WiringArg::Unset;
        only_file.call_api_listen = Some("127.0.0.1:0".into());
        let (_, built) = config(&only_file).unwrap();
        assert_eq!(built.api_keys[0].sid, "SKfile");
        assert_eq!(built.account_keys[0].sid, "ACacct");
        assert_eq!(built.wiring, Wiring::Unset);
        only_file.call_api_listen = Some("api.local:80".into());
        let err = format!("{:#}", config(&only_file).unwrap_err());
        assert!(err.starts_with("--call-api-listen `api.local:80`"), "{err}");
    }

    /// A pipe whose reader went away.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }

    #[tokio::test]
    async fn a_reader_that_closes_standard_output_does_not_stop_it() {
        let (listen, config) = config(&args(&["SKlocal:secret"])).unwrap();
        let mut seen = String::new();
        serve(listen, config, &mut Closed, |url| {
            let seen = &mut seen;
            async move {
                let addr = url.strip_prefix("http://").unwrap();
                let mut tcp = tokio::net::TcpStream::connect(addr).await?;
                tcp.write_all(b"GET /_emulator HTTP/1.0\r\n\r\n").await?;
                tcp.read_to_string(seen).await?;
                Ok(())
            }
        })
        .await
        .unwrap();
        assert!(seen.starts_with("HTTP/1.0 200"), "{seen}");
    }
}
