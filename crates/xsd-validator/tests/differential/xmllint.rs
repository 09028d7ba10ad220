//! xmllint as the reference: one process per schema and batch of files, so the schema is
//! compiled once per batch (`xmllint --noout --nonet --schema S F1 F2 ...`, reading verdicts
//! from the "F validates" / "F fails to validate" lines on stderr).

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// xmllint's verdict on one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    Invalid,
    /// Not well-formed: parser errors and no validation line.
    Malformed,
    /// libxml2 gave up ("validation generated an internal error").
    InternalError,
    /// No line about the file at all.
    Missing,
}

impl Verdict {
    pub fn is_valid(&self) -> bool {
        *self == Verdict::Valid
    }
}

/// Whether xmllint can be run, with its version line.
pub fn version() -> Result<String, String> {
    let out = Command::new(program())
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run xmllint: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stderr)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned())
}

fn program() -> std::ffi::OsString {
    std::env::var_os("XMLLINT").unwrap_or_else(|| "xmllint".into())
}

/// A running batch; [`Batch::finish`] collects the verdicts.
pub struct Batch {
    child: Child,
    reader: std::thread::JoinHandle<String>,
    files: Vec<String>,
    deadline: Instant,
}

/// Starts xmllint on `files` (names relative to `dir`); runs while the caller does other work.
pub fn start(
    schema: &Path,
    catalog: Option<&Path>,
    dir: &Path,
    files: &[String],
    timeout: Duration,
) -> Result<Batch, String> {
    let mut command = Command::new(program());
    command
        .current_dir(dir)
        .args(["--noout", "--nonet", "--schema"])
        .arg(schema)
        .args(files)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(catalog) = catalog {
        command.env("XML_CATALOG_FILES", catalog);
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run xmllint: {e}"))?;
    let pipe = child.stderr.take();
    // Drained on its own thread so that a chatty xmllint cannot block on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    });
    Ok(Batch {
        child,
        reader,
        files: files.to_vec(),
        deadline: Instant::now() + timeout,
    })
}

/// Per file: the verdict and the first error line xmllint printed for it.
pub type Verdicts = HashMap<String, (Verdict, String)>;

impl Batch {
    pub fn finish(mut self) -> Result<Verdicts, String> {
        let mut pause = Duration::from_millis(1);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() >= self.deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Err(format!(
                        "xmllint timed out on a batch of {} files",
                        self.files.len()
                    ));
                }
                Ok(None) => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(e) => return Err(format!("cannot wait for xmllint: {e}")),
            }
        }
        let stderr = self.reader.join().unwrap_or_default();
        Ok(parse(&stderr, &self.files))
    }
}

/// Reads xmllint's stderr. Error lines start with `file:line:`; the verdict line is
/// `file validates` or `file fails to validate`.
pub fn parse(stderr: &str, files: &[String]) -> Verdicts {
    let mut out: Verdicts = files
        .iter()
        .map(|f| (f.clone(), (Verdict::Missing, String::new())))
        .collect();
    for line in stderr.lines() {
        // File names are `c<n>.xml`: no spaces or colons.
        let Some(end) = line.find(['\u{20}', ':']) else {
            continue;
        };
        let (name, rest) = line.split_at(end);
        let Some((verdict, first)) = out.get_mut(name) else {
            continue;
        };
        match rest {
            " validates" => *verdict = Verdict::Valid,
            " fails to validate" if *verdict != Verdict::InternalError => {
                *verdict = Verdict::Invalid;
            }
            " validation generated an internal error" => *verdict = Verdict::InternalError,
            _ if rest.starts_with(':') => {
                if *verdict == Verdict::Missing {
                    *verdict = Verdict::Malformed;
                }
                if first.is_empty() {
                    first.push_str(rest.trim_start_matches(':'));
                }
            }
            _ => {}
        }
    }
    // Errors came before the verdict line; only files without one stay Malformed.
    out
}

/// Where batches are written: a fresh directory under the target dir.
pub fn scratch(tag: &str) -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("differential-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_verdict_lines() {
        let files: Vec<String> = ["c1.xml", "c2.xml", "c3.xml", "c4.xml", "c5.xml"]
            .map(String::from)
            .to_vec();
        let stderr = "c2.xml:3: element a: Schemas validity error : Element 'a': bad.\n\
                      c1.xml validates\n\
                      c2.xml fails to validate\n\
                      c3.xml:1: parser error : Opening and ending tag mismatch\n\
                      c4.xml:9: element b: Schemas validity error : x\n\
                      c4.xml validation generated an internal error\n";
        let v = parse(stderr, &files);
        assert_eq!(v["c1.xml"].0, Verdict::Valid);
        assert_eq!(v["c2.xml"].0, Verdict::Invalid);
        assert!(v["c2.xml"].1.contains("Element 'a'"), "{:?}", v["c2.xml"]);
        assert_eq!(v["c3.xml"].0, Verdict::Malformed);
        assert_eq!(v["c4.xml"].0, Verdict::InternalError);
        assert_eq!(v["c5.xml"].0, Verdict::Missing);
    }
}
