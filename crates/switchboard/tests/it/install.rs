//! `scripts/install.sh`, the install step of the README and the CI templates, against a fake
//! release served over HTTP from a local directory: it picks the asset for the platform,
//! refuses a checksum that does not match, and falls back to `cargo install --locked` when the
//! release has no binary for the platform.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

use crate::root;

const VERSION: &str = "v9.9.9";

/// Serves the files of `dir` at `http://127.0.0.1:PORT/NAME` (404 for anything else) until the
/// test process ends. The listener is bound before this returns, so it is ready at once.
fn serve(dir: &Path) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // Skip the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let name = request.split_whitespace().nth(1).unwrap_or("/");
            let file = dir.join(name.trim_start_matches('/'));
            let served = (!name.contains(".."))
                .then(|| std::fs::read(&file).ok())
                .flatten();
            let response = match served {
                Some(body) => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(body);
                    r
                }
                None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = stream.write_all(&response);
        }
    });
    format!("http://{address}")
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A release directory with a fake binary for each of `targets` (a script that prints which
/// one it is) and a SHA256SUMS listing them.
fn release(dir: &Path, targets: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    let mut sums = String::new();
    for target in targets {
        let exe = if target.contains("windows") {
            ".exe"
        } else {
            ""
        };
        let name = format!("switchboard-{VERSION}-{target}{exe}");
        let body = format!("#!/bin/sh\necho \"switchboard 9.9.9 (release binary for {target})\"\n");
        std::fs::write(dir.join(&name), &body).unwrap();
        sums.push_str(&format!("{}  {name}\n", sha256(body.as_bytes())));
    }
    std::fs::write(dir.join("SHA256SUMS"), sums).unwrap();
}

/// Fake `uname` (answers `$FAKE_OS` / `$FAKE_ARCH`) and `cargo` (logs its arguments to
/// `$FAKE_LOG` and, for `install --root R`, writes a switchboard that says it was compiled).
fn fakes(dir: &Path) -> PathBuf {
    let bin = dir.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let scripts = [
        (
            "uname",
            "#!/bin/sh\ncase \"$1\" in -s) echo \"$FAKE_OS\";; -m) echo \"$FAKE_ARCH\";; esac\n",
        ),
        (
            "cargo",
            r#"#!/bin/sh
echo "cargo $*" >> "$FAKE_LOG"
while [ $# -gt 0 ]; do
  if [ "$1" = --root ]; then root="$2"; fi
  shift
done
mkdir -p "$root/bin"
printf '#!/bin/sh\necho "switchboard 9.9.9 (compiled)"\n' > "$root/bin/switchboard"
chmod +x "$root/bin/switchboard"
"#,
        ),
    ];
    for (name, text) in scripts {
        let path = bin.join(name);
        std::fs::write(&path, text).unwrap();
        Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    }
    bin
}

struct Installed {
    output: Output,
    /// What the installed binary printed, if one was installed.
    says: Option<String>,
    /// The fake cargo's log.
    cargo: String,
}

/// Runs the install script as a user of `os`/`arch` would, against the release at `url`.
fn install(url: &str, os: &str, arch: &str, env: &[(&str, &str)]) -> Installed {
    let dir = tempfile::tempdir().unwrap();
    let bin = fakes(dir.path());
    let dest = dir.path().join("install").join("bin");
    let log = dir.path().join("cargo.log");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut cmd = Command::new("sh");
    cmd.arg(root().join("scripts/install.sh"))
        .env("PATH", path)
        .env("FAKE_OS", os)
        .env("FAKE_ARCH", arch)
        .env("FAKE_LOG", &log)
        .env("SWITCHBOARD_VERSION", VERSION)
        .env("SWITCHBOARD_REPO", "https://git.example/acme/switchboard")
        .env("SWITCHBOARD_RELEASE_URL", url)
        .env("SWITCHBOARD_INSTALL_DIR", &dest)
        .env_remove("SWITCHBOARD_SHA256");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().unwrap();
    let exe = dest.join("switchboard");
    let says = exe.is_file().then(|| {
        let out = Command::new(&exe).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    });
    Installed {
        output,
        says,
        cargo: std::fs::read_to_string(log).unwrap_or_default(),
    }
}

fn stderr(installed: &Installed) -> String {
    String::from_utf8_lossy(&installed.output.stderr).into_owned()
}

const ALL: [&str; 5] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

#[test]
fn the_binary_for_the_platform_is_installed_without_compiling() {
    let dir = tempfile::tempdir().unwrap();
    release(dir.path(), &ALL);
    let url = serve(dir.path());
    for (os, arch, target) in [
        ("Linux", "x86_64", "x86_64-unknown-linux-musl"),
        ("Linux", "aarch64", "aarch64-unknown-linux-musl"),
        ("Darwin", "arm64", "aarch64-apple-darwin"),
        ("Darwin", "x86_64", "x86_64-apple-darwin"),
    ] {
        let installed = install(&url, os, arch, &[]);
        assert!(installed.output.status.success(), "{}", stderr(&installed));
        assert_eq!(
            installed.says.as_deref(),
            Some(format!("switchboard 9.9.9 (release binary for {target})").as_str()),
            "{os} {arch}: {}",
            stderr(&installed)
        );
        assert!(installed.cargo.is_empty(), "compiled: {}", installed.cargo);
    }
}

#[test]
fn a_checksum_mismatch_is_refused_and_nothing_is_installed() {
    let dir = tempfile::tempdir().unwrap();
    release(dir.path(), &ALL);
    // The asset is swapped after the sums were made.
    std::fs::write(
        dir.path()
            .join(format!("switchboard-{VERSION}-x86_64-unknown-linux-musl")),
        "#!/bin/sh\necho pwned\n",
    )
    .unwrap();
    let url = serve(dir.path());
    let installed = install(&url, "Linux", "x86_64", &[]);
    assert_eq!(installed.output.status.code(), Some(1));
    assert!(
        stderr(&installed).contains("checksum mismatch"),
        "{}",
        stderr(&installed)
    );
    assert!(stderr(&installed).contains("refusing to install it"));
    assert_eq!(installed.says, None, "a binary was installed");
    assert!(installed.cargo.is_empty(), "a mismatch must not fall back");

    // A sum pinned in the user's own config is checked too.
    let dir = tempfile::tempdir().unwrap();
    release(dir.path(), &ALL);
    let url = serve(dir.path());
    let pinned = install(
        &url,
        "Linux",
        "x86_64",
        &[("SWITCHBOARD_SHA256", &"0".repeat(64))],
    );
    assert_eq!(pinned.output.status.code(), Some(1), "{}", stderr(&pinned));
    assert!(
        stderr(&pinned).contains("SWITCHBOARD_SHA256 says"),
        "{}",
        stderr(&pinned)
    );
    assert_eq!(pinned.says, None);
}

#[test]
fn a_missing_asset_falls_back_to_cargo_install_locked() {
    // A release built before aarch64 Linux binaries existed.
    let dir = tempfile::tempdir().unwrap();
    release(dir.path(), &["x86_64-unknown-linux-musl"]);
    let url = serve(dir.path());
    let installed = install(&url, "Linux", "aarch64", &[]);
    assert!(installed.output.status.success(), "{}", stderr(&installed));
    assert_eq!(
        installed.says.as_deref(),
        Some("switchboard 9.9.9 (compiled)")
    );
    assert!(
        installed
            .cargo
            .starts_with("cargo install --locked --root ")
            && installed
                .cargo
                .trim_end()
                .ends_with("--git https://git.example/acme/switchboard --tag v9.9.9 switchboard"),
        "{}",
        installed.cargo
    );
    assert!(stderr(&installed).contains("no binary for aarch64-unknown-linux-musl"));

    // Listed in SHA256SUMS but not uploaded (404): the same.
    std::fs::remove_file(
        dir.path()
            .join(format!("switchboard-{VERSION}-x86_64-unknown-linux-musl")),
    )
    .unwrap();
    let installed = install(&url, "Linux", "x86_64", &[]);
    assert!(installed.output.status.success(), "{}", stderr(&installed));
    assert_eq!(
        installed.says.as_deref(),
        Some("switchboard 9.9.9 (compiled)")
    );

    // No release at all (a tag without binaries).
    let empty = tempfile::tempdir().unwrap();
    let installed = install(&serve(empty.path()), "Linux", "x86_64", &[]);
    assert!(installed.output.status.success(), "{}", stderr(&installed));
    assert!(
        stderr(&installed).contains("no SHA256SUMS"),
        "{}",
        stderr(&installed)
    );
    assert!(installed.cargo.contains("install --locked"));
}

/// The CI templates carry copies of the script (a workflow cannot reach this repository's
/// files): they must be the same script.
#[test]
fn the_ci_templates_carry_the_same_install_script() {
    let script = std::fs::read_to_string(root().join("scripts/install.sh")).unwrap();
    for copy in [
        "examples/ci/github/actions/install-switchboard/install.sh",
        "examples/ci/gitlab/install-switchboard.sh",
    ] {
        let text =
            std::fs::read_to_string(root().join(copy)).unwrap_or_else(|e| panic!("{copy}: {e}"));
        assert!(
            text == script,
            "{copy} differs from scripts/install.sh: copy it again"
        );
    }
}

/// The release workflow builds a binary for every platform the install script picks, under
/// the name the script and `cargo binstall` (crates/switchboard/Cargo.toml) look for.
#[test]
fn the_release_names_its_binaries_as_install_and_binstall_expect() {
    let text = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    let release: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let mut targets: Vec<&str> = release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["target"].as_str().unwrap())
        .collect();
    targets.sort_unstable();
    let mut expected = ALL.to_vec();
    expected.sort_unstable();
    assert_eq!(targets, expected);
    // The name each build step gives its binary.
    let steps = release["jobs"]["build"]["steps"].as_array().unwrap();
    let naming = steps
        .iter()
        .find(|s| s["name"] == "Name the binary after its tag and target")
        .unwrap()["run"]
        .as_str()
        .unwrap();
    assert!(
        naming.contains(r#""dist/switchboard-$TAG-$TARGET$exe""#),
        "{naming}"
    );
    // binstall's template, filled in as binstall does for tag v1.2.3.
    let manifest = std::fs::read_to_string(root().join("crates/switchboard/Cargo.toml")).unwrap();
    let template = manifest
        .lines()
        .find_map(|l| l.strip_prefix("pkg-url = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("[package.metadata.binstall] pkg-url");
    for target in ALL {
        let exe = if target.contains("windows") {
            ".exe"
        } else {
            ""
        };
        let url = template
            .replace("{ repo }", "https://git.example/acme/switchboard")
            .replace("{ version }", "1.2.3")
            .replace("{ target }", target)
            .replace("{ binary-ext }", exe);
        assert_eq!(
            url,
            format!(
                "https://git.example/acme/switchboard/releases/download/v1.2.3/switchboard-v1.2.3-{target}{exe}"
            )
        );
    }
    // And the script looks for the same name.
    let script = std::fs::read_to_string(root().join("scripts/install.sh")).unwrap();
    assert!(script.contains(r#"asset="switchboard-$version-$platform""#));
}
