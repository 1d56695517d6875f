//! The file system boundary: the files a spec makes switchboard read, and the files its
//! commands write. A spec comes from a pull request, so it is hostile input; the files it
//! names are too.
//!
//! - Reads ([`Root`]): a path a spec names (an audio `file:`), or a spec file found in the
//!   spec directory, resolves, after symbolic links, inside the spec root, and not into a
//!   hidden file or directory there (`.git`, `.env`: never part of a spec); it is a regular
//!   file (never a FIFO, a device or a socket, which are not even opened in a way that could
//!   block); it is at most a size ceiling ([`Limit`]), enforced while reading, so a file that
//!   grows (or lies about its size) stops at the ceiling too.
//! - Writes ([`write`], [`stage`], [`ensure_dir`]): a regular file replaced atomically (a
//!   temporary file beside it, then a rename), never through a symbolic link, never onto a
//!   device, a FIFO, a socket or a directory.
//! - [`inside_working_dir`]: a path the command line names inside the working directory stays
//!   inside it after symbolic links (a committed link cannot send a read or a write outside
//!   the checkout).
//!
//! Errors say what is wrong with a path, never what a file outside holds.

use std::fmt;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read, Write as _};
use std::path::{Component, Path, PathBuf};

/// A size ceiling, and what it is for (named in the error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// The most bytes read.
    pub bytes: u64,
    /// What the file is, for the message: `a spec file`.
    pub what: &'static str,
}

impl Limit {
    /// A spec file: 16 MiB, ample for the YAML parser's own limit of 250,000 nodes a file
    /// (about 60,000 agents in 3 MB), and far below what would strain memory.
    pub const SPEC_FILE: Limit = Limit {
        bytes: 16 << 20,
        what: "a spec file",
    };
    /// An audio file: 50 MiB. PCC's own upload limit is not documented; the emulator takes
    /// 50 MiB (docs/pcc-api-assumptions.md), about 5 minutes of 16-bit stereo WAV.
    pub const AUDIO_FILE: Limit = Limit {
        bytes: 50 << 20,
        what: "an audio file",
    };
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.bytes.is_multiple_of(1 << 20) {
            write!(f, "{} MiB", self.bytes >> 20)
        } else {
            write!(f, "{} bytes", self.bytes)
        }
    }
}

/// Why a file cannot be read or written. The messages continue a sentence that names the
/// file (`cannot read audio file `a.mp3`: it is a FIFO, not a regular file`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Nothing at the path.
    #[error("no such file")]
    NotFound,
    /// A spec named an absolute path.
    #[error("it is an absolute path; paths in a spec are relative to the spec root `{root}`")]
    Absolute {
        /// The spec root, as the user named it.
        root: String,
    },
    /// `..` leads out of the root.
    #[error(
        "it leads outside the spec root `{root}`; switchboard reads only files inside the spec root"
    )]
    Outside {
        /// The spec root, as the user named it.
        root: String,
    },
    /// A symbolic link leads out of the root.
    #[error(
        "it is a symbolic link (or goes through one) to a place outside the spec root `{root}`; \
         switchboard reads only files inside the spec root"
    )]
    LinkOutside {
        /// The spec root, as the user named it.
        root: String,
    },
    /// A hidden file or directory inside the root (a name starting with `.`: `.git/config`,
    /// `.env`): not part of the spec (a directory load never reads one), and where checkout
    /// credentials and local secrets live.
    #[error(
        "it is in a hidden file or directory of the spec root (a name starting with `.`, such \
         as `.git` or `.env`), or a symbolic link to one; hidden files are not part of a spec, \
         and switchboard reads none because of one"
    )]
    Hidden,
    /// A path inside the working directory as written leads outside it through a link.
    #[error(
        "it goes through a symbolic link to a place outside the working directory; name that \
         place itself if you mean it"
    )]
    LeavesWorkingDir,
    /// A FIFO, a device, a socket, a directory...
    #[error("it is {kind}, not a regular file")]
    NotRegular {
        /// `a FIFO (named pipe)`, `a directory`...
        kind: &'static str,
    },
    /// A directory was expected.
    #[error("it is {kind}, not a directory")]
    NotDirectory {
        /// `a regular file`, `a FIFO (named pipe)`...
        kind: &'static str,
    },
    /// A write would go through a symbolic link.
    #[error(
        "it is a symbolic link, and switchboard never writes through one; remove it or choose another path"
    )]
    Link,
    /// Over the ceiling.
    #[error("it is larger than {limit}, the limit for {what}", what = limit.what)]
    TooLarge {
        /// The ceiling passed.
        limit: Limit,
    },
    /// Anything else the system says.
    #[error("{0}")]
    Io(io::Error),
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Error {
        match err.kind() {
            io::ErrorKind::NotFound => Error::NotFound,
            _ => Error::Io(err),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reads.
// ---------------------------------------------------------------------------------------------

/// The spec root: the directory every file a spec makes switchboard read must resolve into.
#[derive(Clone, Debug)]
pub struct Root {
    /// As the user named it, for messages.
    shown: String,
    /// Absolute, `.` and `..` resolved, symbolic links not: where `..` in a path leads.
    lexical: PathBuf,
    /// Absolute, every symbolic link resolved.
    real: PathBuf,
}

impl Root {
    /// The root at `dir` (the empty path is the working directory).
    pub fn new(dir: &Path) -> Result<Root, Error> {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        Ok(Root {
            shown: dir.display().to_string(),
            lexical: lexical(dir)?,
            real: std::fs::canonicalize(dir)?,
        })
    }

    /// The root as the user named it.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The root with every symbolic link resolved.
    pub fn real(&self) -> &Path {
        &self.real
    }

    /// A path as a spec writes it (relative to the root), resolved after symbolic links, or
    /// why it may not be read. It may not be, or lead into, a hidden file or directory.
    pub fn resolve(&self, written: &str) -> Result<PathBuf, Error> {
        let path = Path::new(written);
        if path.has_root() || path.is_absolute() {
            return Err(Error::Absolute {
                root: self.shown.clone(),
            });
        }
        let real = self.contain(&self.lexical.join(path))?;
        if self.is_hidden(&real) {
            return Err(Error::Hidden);
        }
        Ok(real)
    }

    /// A path found on disk (a file in the spec directory, or the spec file given), resolved
    /// after symbolic links, or why it may not be read. A link may not lead into a hidden file
    /// or directory of the root (a hidden file named as such, on the command line, is read).
    pub fn contain(&self, path: &Path) -> Result<PathBuf, Error> {
        let real = std::fs::canonicalize(path)?;
        if real.starts_with(&self.real) {
            // Where the path leads, below the root, and where it says it goes: they differ
            // when a link was followed.
            let named = lexical(path)?;
            let reached = real.strip_prefix(&self.real).ok();
            if self.is_hidden(&real) && named.strip_prefix(&self.lexical).ok() != reached {
                return Err(Error::Hidden);
            }
            return Ok(real);
        }
        let root = self.shown.clone();
        if lexical(path)?.starts_with(&self.lexical) {
            Err(Error::LinkOutside { root })
        } else {
            Err(Error::Outside { root })
        }
    }

    /// True when `path`, inside the root (resolved as [`Root::real`] is, or as the root was
    /// named), has a component below the root whose name starts with `.`: a hidden file or
    /// directory, which no directory load reads and which may hold secrets (`.git/config`
    /// holds the checkout's credentials on many CI runners, `.env` local ones).
    pub fn is_hidden(&self, path: &Path) -> bool {
        let below = path
            .strip_prefix(&self.real)
            .or_else(|_| path.strip_prefix(&self.lexical));
        below.is_ok_and(|rest| {
            rest.components().any(|part| {
                matches!(part, Component::Normal(name) if name.as_encoded_bytes().starts_with(b"."))
            })
        })
    }

    /// Opens the file a spec names at `written` for reading, checked as [`Root::resolve`]
    /// and [`open_regular`] say.
    pub fn open(&self, written: &str, limit: Limit) -> Result<Reader, Error> {
        open_regular(&self.resolve(written)?, limit)
    }

    /// Opens a file found on disk, checked as [`Root::contain`] and [`open_regular`] say.
    pub fn open_found(&self, path: &Path, limit: Limit) -> Result<Reader, Error> {
        open_regular(&self.contain(path)?, limit)
    }

    /// The whole file a spec names at `written`.
    pub fn read(&self, written: &str, limit: Limit) -> Result<Vec<u8>, Error> {
        self.open(written, limit)?.bytes()
    }
}

/// Opens `path` for reading if it is a regular file of at most `limit` bytes. The type is
/// checked before opening (a FIFO is never opened), and again on the open file, which is
/// opened without blocking and without following a link in its last component, so that a
/// FIFO or a link swapped in between is refused too.
pub fn open_regular(path: &Path, limit: Limit) -> Result<Reader, Error> {
    let meta = std::fs::symlink_metadata(path)?;
    check_regular(&meta, limit)?;
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY);
    }
    let file = options.open(path)?;
    check_regular(&file.metadata()?, limit)?;
    Ok(Reader { file, limit })
}

fn check_regular(meta: &Metadata, limit: Limit) -> Result<(), Error> {
    if !meta.file_type().is_file() {
        return Err(Error::NotRegular { kind: kind(meta) });
    }
    if meta.len() > limit.bytes {
        return Err(Error::TooLarge { limit });
    }
    Ok(())
}

/// `a directory`, `a FIFO (named pipe)`... for messages.
fn kind(meta: &Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    if kind.is_symlink() {
        return "a symbolic link";
    }
    if kind.is_file() {
        return "a regular file";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// An open regular file, read at most to its [`Limit`].
#[derive(Debug)]
pub struct Reader {
    file: File,
    limit: Limit,
}

impl Reader {
    /// Hands every chunk of the file to `each`; answers the size. Fails as soon as the file
    /// passes its limit, whatever its size said when opened.
    pub fn chunks(mut self, mut each: impl FnMut(&[u8])) -> Result<u64, Error> {
        let mut buffer = vec![0; 64 * 1024];
        let mut total: u64 = 0;
        loop {
            let n = match self.file.read(&mut buffer) {
                Ok(0) => return Ok(total),
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err.into()),
            };
            total += n as u64;
            if total > self.limit.bytes {
                return Err(Error::TooLarge { limit: self.limit });
            }
            each(&buffer[..n]);
        }
    }

    /// The whole file.
    pub fn bytes(self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.chunks(|chunk| out.extend_from_slice(chunk))?;
        Ok(out)
    }

    /// The whole file as UTF-8 text.
    pub fn text(self) -> Result<String, Error> {
        String::from_utf8(self.bytes()?).map_err(|_| {
            Error::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ))
        })
    }
}

/// Fails when `path`, relative and inside the working directory as written, leads outside it
/// once symbolic links are followed: a link committed to a repository must not turn a path
/// the command line names (`contact-center`, `out/plan.json`) into a place elsewhere on the
/// machine. Absolute paths and paths written with `..` out of the working directory are what
/// the user asked for, and pass. For a path that does not exist yet, its nearest existing
/// ancestor is checked.
pub fn inside_working_dir(path: &Path) -> Result<(), Error> {
    if path.has_root() || path.is_absolute() {
        return Ok(());
    }
    let mut depth: usize = 0;
    for part in path.components() {
        match part {
            Component::ParentDir if depth == 0 => return Ok(()),
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
    }
    let cwd = std::fs::canonicalize(".")?;
    let mut existing = path;
    loop {
        match std::fs::canonicalize(if existing.as_os_str().is_empty() {
            Path::new(".")
        } else {
            existing
        }) {
            Ok(real) if real.starts_with(&cwd) => return Ok(()),
            Ok(_) => return Err(Error::LeavesWorkingDir),
            Err(err) if err.kind() == io::ErrorKind::NotFound => match existing.parent() {
                Some(parent) => existing = parent,
                None => return Ok(()),
            },
            Err(err) => return Err(err.into()),
        }
    }
}

/// `path` made absolute with `.` and `..` resolved by name (symbolic links are not followed:
/// this is where the path says it goes).
fn lexical(path: &Path) -> Result<PathBuf, Error> {
    let absolute = std::path::absolute(path)?;
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Writes.
// ---------------------------------------------------------------------------------------------

/// Writes `bytes` to `path`, replacing a regular file there whole: see [`stage`].
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    stage(path, bytes)?.commit()
}

/// Writes `bytes` to a new hidden file beside `path`, to be renamed over it by
/// [`Staged::commit`] (dropped uncommitted, it is removed). Refuses, before writing anything,
/// a `path` that is a symbolic link, a directory, a FIFO, a device or a socket, and a path
/// inside the working directory that leads out of it ([`inside_working_dir`]). The temporary
/// file is created new (never opened through a link someone left at its name).
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged, Error> {
    writable(path)?;
    let name = path.file_name().ok_or(Error::NotRegular {
        kind: "a directory",
    })?;
    let mut attempt = 0;
    let (temp, mut file) = loop {
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{:08x}.tmp", fastrand::u32(..)));
        let temp = path.with_file_name(temp_name);
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => break (temp, file),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => {
                attempt += 1;
            }
            Err(err) => return Err(err.into()),
        }
    };
    let staged = Staged {
        temp,
        path: path.to_path_buf(),
        done: false,
    };
    file.write_all(bytes)?;
    file.flush()?;
    Ok(staged)
}

/// A file written beside its place, not yet renamed over it.
#[derive(Debug)]
pub struct Staged {
    temp: PathBuf,
    path: PathBuf,
    done: bool,
}

impl Staged {
    /// Renames the file over its place, once the place is checked again.
    pub fn commit(mut self) -> Result<(), Error> {
        check_writable(&self.path)?;
        std::fs::rename(&self.temp, &self.path)?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// The checks [`write`] makes before writing anything, for a command to make before it does
/// its work: nothing, or a regular file, at `path`, and a path inside the working directory
/// that stays inside it ([`inside_working_dir`]).
pub fn writable(path: &Path) -> Result<(), Error> {
    check_writable(path)?;
    inside_working_dir(path)
}

/// Nothing, or a regular file, at `path`.
fn check_writable(path: &Path) -> Result<(), Error> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(Error::Link),
        Ok(meta) if !meta.file_type().is_file() => Err(Error::NotRegular { kind: kind(&meta) }),
        Ok(_) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// Makes sure `path` is a directory to write files in, creating it (and its parents) when
/// missing: not a symbolic link, not anything else, and inside the working directory if
/// written inside it ([`inside_working_dir`]).
pub fn ensure_dir(path: &Path) -> Result<(), Error> {
    if !dir_writable(path)? {
        std::fs::create_dir_all(path)?;
    }
    Ok(())
}

/// The checks [`ensure_dir`] makes, without creating anything: answers whether the directory
/// exists.
pub fn dir_writable(path: &Path) -> Result<bool, Error> {
    let exists = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => return Err(Error::Link),
        Ok(meta) if !meta.file_type().is_dir() => {
            return Err(Error::NotDirectory { kind: kind(&meta) });
        }
        Ok(_) => true,
        Err(err) if err.kind() == io::ErrorKind::NotFound => false,
        Err(err) => return Err(err.into()),
    };
    inside_working_dir(path)?;
    Ok(exists)
}

#[cfg(test)]
mod tests;
