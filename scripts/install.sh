#!/bin/sh
# Installs switchboard without compiling: downloads the release binary for this machine,
# checks it against the release's SHA256SUMS, and puts it in $SWITCHBOARD_INSTALL_DIR.
#
#   SWITCHBOARD_VERSION=v0.1.0 SWITCHBOARD_REPO=https://github.com/OWNER/switchboard sh install.sh
#
# Environment:
#   SWITCHBOARD_VERSION      the release tag (required)
#   SWITCHBOARD_REPO         the repository's URL; releases are under $REPO/releases/download/
#   SWITCHBOARD_RELEASE_URL  where the release's files are, instead (a mirror; used by tests)
#   SWITCHBOARD_INSTALL_DIR  where the binary goes (default: $HOME/.switchboard/bin)
#   SWITCHBOARD_SHA256       the binary's expected SHA-256, pinned in your own config
#                            (optional; stronger than SHA256SUMS, which comes from the same
#                            place as the binary)
#
# A checksum that does not match is refused (exit 1): the file is not what was released.
# When the release has no binary for this machine (or no SHA256SUMS), it falls back to
# compiling that tag with `cargo install --locked` (5 to 10 minutes on 2 cores).
# Copies of this file live in examples/ci/ (a test keeps them identical).
set -eu

say() { echo "install switchboard: $*" >&2; }
die() {
    say "$*"
    exit 1
}

version="${SWITCHBOARD_VERSION:-}"
[ -n "$version" ] || die "set SWITCHBOARD_VERSION to a release tag (v0.1.0)"
repo="${SWITCHBOARD_REPO:-}"
base="${SWITCHBOARD_RELEASE_URL:-}"
if [ -z "$base" ]; then
    [ -n "$repo" ] || die "set SWITCHBOARD_REPO to the repository's URL"
    base="${repo%/}/releases/download/$version"
fi
base="${base%/}"
dest="${SWITCHBOARD_INSTALL_DIR:-$HOME/.switchboard/bin}"
pinned="${SWITCHBOARD_SHA256:-}"
# Plain http only to this machine (tests, a local mirror); a redirect never downgrades.
protocols='=https,file'
case "$base" in http://127.0.0.1:* | http://localhost:*) protocols='=https,http,file' ;; esac

# The release's name for this machine's platform (the Rust target triple it was built for).
target() {
    os=$(uname -s)
    arch=$(uname -m)
    case "$arch" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) return 1 ;;
    esac
    case "$os" in
    Linux) echo "$arch-unknown-linux-musl" ;;
    Darwin) echo "$arch-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT)
        [ "$arch" = x86_64 ] || return 1
        echo "x86_64-pc-windows-msvc"
        ;;
    *) return 1 ;;
    esac
}

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

# Downloads $1 to $2. Answers 0 when downloaded, 2 when the server has no such file (404),
# and fails the script on anything else: a network that fails here would fail `cargo
# install` too, and a server error is not "no binary".
fetch() {
    status=$(curl --silent --show-error --location --proto "$protocols" \
        --proto-redir '=https' --retry 3 --output "$2" --write-out '%{http_code}' "$1") ||
        die "cannot download $1"
    case "$status" in
    2?? | 000) return 0 ;; # 000: a file:// URL
    404) return 2 ;;
    *) die "cannot download $1: HTTP $status" ;;
    esac
}

fallback() {
    say "$1: compiling $version with cargo install --locked instead"
    [ -n "$repo" ] || die "set SWITCHBOARD_REPO to compile from source"
    command -v cargo >/dev/null 2>&1 || die "cargo is not installed (https://rustup.rs)"
    cargo install --locked --root "$tmp/cargo" --git "$repo" --tag "$version" switchboard
    mkdir -p "$dest"
    mv "$tmp/cargo/bin/"switchboard* "$dest/"
    say "compiled and installed $dest/switchboard"
    "$dest/switchboard" --version >&2
    exit 0
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

platform=$(target) || fallback "no release binary for $(uname -s) $(uname -m)"
asset="switchboard-$version-$platform"
case "$platform" in *windows*) asset="$asset.exe" ;; esac

code=0
fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS" || code=$?
[ "$code" -eq 0 ] || fallback "the release has no SHA256SUMS"
# The line for exactly this asset (`<64 hex>  <name>`, or `*<name>` in binary mode).
want=$(awk -v name="$asset" '$2 == name || $2 == "*" name { print $1 }' "$tmp/SHA256SUMS")
[ -n "$want" ] || fallback "the release has no binary for $platform"
code=0
fetch "$base/$asset" "$tmp/$asset" || code=$?
[ "$code" -eq 0 ] || fallback "the release lists $asset but does not have it"
got=$(sha256 "$tmp/$asset")
[ "$got" = "$want" ] ||
    die "$asset: checksum mismatch (SHA256SUMS says $want, the file is $got): refusing to install it"
[ -z "$pinned" ] || [ "$got" = "$pinned" ] ||
    die "$asset: checksum mismatch (SWITCHBOARD_SHA256 says $pinned, the file is $got): refusing to install it"

mkdir -p "$dest"
name=switchboard
case "$platform" in *windows*) name=switchboard.exe ;; esac
chmod +x "$tmp/$asset"
mv "$tmp/$asset" "$dest/$name"
say "installed $asset (sha256 $got) as $dest/$name"
"$dest/$name" --version >&2
