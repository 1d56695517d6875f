//! `switchboard emulator`: runs the local PCC emulator until SIGINT or SIGTERM. The first
//! line of standard output is `listening on http://ADDR`; notices go to standard error.

use std::io::Write;
use std::net::SocketAddr;

use anyhow::{Context as _, bail};
use emulator::{ApiKey, Config, Faults};

use crate::Exit;
use crate::cli::{EmulatorArgs, Global};

pub fn run(_global: &Global, args: EmulatorArgs) -> anyhow::Result<Exit> {
    let (listen, config) = config(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(listen, config, &mut std::io::stdout(), |_| stopped()))?;
    Ok(Exit::Ok)
}

/// The address and configuration the flags ask for, checked.
fn config(args: &EmulatorArgs) -> anyhow::Result<(SocketAddr, Config)> {
    if args.api_keys.is_empty() {
        bail!(
            "no API key: pass --api-key SID:SECRET (repeatable); clients sign their tokens with \
             that secret, for example `--api-key SKlocal:$(openssl rand -hex 16)`"
        );
    }
    let api_keys = args
        .api_keys
        .iter()
        .map(|k| k.parse::<ApiKey>())
        .collect::<Result<Vec<_>, _>>()
        .context("--api-key")?;
    let listen: SocketAddr = args.listen.parse().with_context(|| {
        format!(
            "--listen `{}` is not an IP address and port such as 127.0.0.1:8080",
            args.listen
        )
    })?;
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
    };
    faults.validate()?;
    let config = Config {
        state: args.state.clone(),
        api_keys,
        faults,
        project_id: emulator::DEFAULT_PROJECT_ID,
    };
    Ok((listen, config))
}

/// Starts the emulator, writes the `listening on` line to `out`, serves until `until(url)`
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
    let sids: Vec<String> = config.api_keys.iter().map(|k| k.sid.clone()).collect();
    let project = config.project_id;
    let emu = emulator::spawn(listen, config).await?;
    writeln!(out, "listening on {}", emu.url())?;
    out.flush()?;
    eprintln!(
        "emulator: project {project}, {state}, accepting key(s) {}; admin at {}/_emulator; stop with Ctrl-C",
        sids.join(", "),
        emu.url(),
    );
    let result = until(emu.url()).await;
    eprintln!("emulator: stopping");
    emu.shutdown().await;
    result
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
            state: None,
            api_keys: api_keys.iter().map(|k| (*k).to_owned()).collect(),
            latency_ms: 0,
            fail_rate: 0.0,
            throttle_rate: 0.0,
            retry_after_secs: 1,
            drop_rate: 0.0,
            late_rate: 0.0,
            late_ms: 1000,
            seed: None,
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
        let url = out.strip_prefix("listening on http://127.0.0.1:").unwrap();
        let port: u16 = url.trim_end().parse().unwrap();
        assert_ne!(port, 0);
        assert!(out.ends_with('\n') && out.lines().count() == 1, "{out:?}");
        assert!(seen.starts_with("HTTP/1.0 200"), "{seen}");
        assert!(seen.contains(r#""requests":{}"#), "{seen}");
    }
}
