//! Reading input files: regular files only.
//!
//! `squadsim lint` and `squadsim wire` read what they are given. A FIFO opened
//! for reading blocks until a writer comes (forever, for a CI job); a character
//! device such as `/dev/zero` never ends. So every input is checked before it is
//! opened, and anything but a regular file (after following symbolic links) is
//! refused with what it is.
//!
//! Guarantees: no FIFO, socket or device is ever opened; the error names the
//! kind of file, or the operating system's reason.

use std::fmt;
use std::fs::File;
use std::path::Path;

/// Why an input could not be read.
#[derive(Debug)]
pub enum Unreadable {
    /// It exists but is not a regular file (`a FIFO`, `a directory`, ...).
    NotRegular(&'static str),
    /// The operating system refused (missing, permission denied, I/O error).
    Io(std::io::Error),
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreadable::NotRegular(kind) => write!(f, "not a regular file ({kind}): only regular files are read"),
            Unreadable::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Unreadable {}

/// What kind of file `meta` describes, in words.
pub fn kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_file() {
        return "a regular file";
    }
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    "not a regular file"
}

/// Opens `path` for reading if it is a regular file (symbolic links followed);
/// anything else is refused without being opened.
pub fn open(path: &Path) -> Result<File, Unreadable> {
    let meta = std::fs::metadata(path).map_err(Unreadable::Io)?;
    if !meta.is_file() {
        return Err(Unreadable::NotRegular(kind(&meta)));
    }
    File::open(path).map_err(Unreadable::Io)
}

/// The bytes of the regular file at `path`.
pub fn read(path: &Path) -> Result<Vec<u8>, Unreadable> {
    use std::io::Read;
    let mut bytes = Vec::new();
    open(path)?.read_to_end(&mut bytes).map_err(Unreadable::Io)?;
    Ok(bytes)
}

/// The text of the regular file at `path`, which must be UTF-8: the error says
/// where the first byte that is not is.
pub fn read_utf8(path: &Path) -> Result<String, ReadTextError> {
    let bytes = read(path).map_err(ReadTextError::Unreadable)?;
    String::from_utf8(bytes).map_err(|e| ReadTextError::NotUtf8 { offset: e.utf8_error().valid_up_to() })
}

/// Why a text file could not be read.
#[derive(Debug)]
pub enum ReadTextError {
    Unreadable(Unreadable),
    /// The byte at `offset` (0-based) does not continue valid UTF-8.
    NotUtf8 {
        offset: usize,
    },
}

impl fmt::Display for ReadTextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadTextError::Unreadable(e) => write!(f, "{e}"),
            ReadTextError::NotUtf8 { offset } => write!(f, "not UTF-8 text (invalid byte at offset {offset})"),
        }
    }
}

impl std::error::Error for ReadTextError {}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_without_being_opened() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.md");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        // Opening a FIFO with no writer blocks; getting an answer at all proves it was not opened.
        let e = read(&fifo).unwrap_err();
        assert!(matches!(e, Unreadable::NotRegular("a FIFO")), "{e}");
        assert!(e.to_string().contains("not a regular file (a FIFO)"), "{e}");
    }

    #[test]
    fn a_directory_and_a_device_are_named_and_text_must_be_utf8() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(read(dir.path()), Err(Unreadable::NotRegular("a directory"))));
        assert!(matches!(read(Path::new("/dev/zero")), Err(Unreadable::NotRegular("a character device"))));
        let file = dir.path().join("latin1.md");
        std::fs::write(&file, b"caf\xe9\n").unwrap();
        let e = read_utf8(&file).unwrap_err();
        assert!(matches!(e, ReadTextError::NotUtf8 { offset: 3 }), "{e}");
        assert!(matches!(read(&dir.path().join("missing")), Err(Unreadable::Io(_))));
    }
}
