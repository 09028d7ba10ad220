//! Known-failures lists that may only shrink: one case id per line, sorted; `#` starts a comment.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What the environment asks of the ratchet.
#[derive(Clone, Copy, Debug, Default)]
pub struct Policy {
    /// `XSD_UPDATE_KNOWN_FAILURES=1`: rewrite the lists from this run.
    pub update: bool,
    /// `XSD_RATCHET_STRICT=1`: newly passing cases still listed fail the test.
    pub strict: bool,
}

impl Policy {
    pub fn from_env() -> Policy {
        let on = |name: &str| std::env::var(name).is_ok_and(|v| v == "1" || v == "true");
        Policy {
            update: on("XSD_UPDATE_KNOWN_FAILURES"),
            strict: on("XSD_RATCHET_STRICT"),
        }
    }
}

/// Difference between a run and a known-failures list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drift {
    /// Failing now, not listed: regressions.
    pub new_failures: Vec<String>,
    /// Listed, but passing now (or, in a full run, no longer in the index): remove them.
    pub newly_passing: Vec<String>,
}

/// Compares a run with the list. `ran` is the set of ids that ran; listed ids that did not run
/// count as stale only in a full run (a sampled run says nothing about them).
pub fn compare(
    known: &BTreeSet<String>,
    ran: &BTreeSet<String>,
    failing: &BTreeSet<String>,
    full_run: bool,
) -> Drift {
    Drift {
        new_failures: failing.difference(known).cloned().collect(),
        newly_passing: known
            .iter()
            .filter(|id| !failing.contains(*id) && (full_run || ran.contains(*id)))
            .cloned()
            .collect(),
    }
}

/// Reads a list; a missing file is an empty list.
pub fn load(path: &Path) -> Result<BTreeSet<String>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeSet::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

pub fn store(path: &Path, header: &str, ids: &BTreeSet<String>) -> Result<(), String> {
    let mut text = String::new();
    for line in header.lines() {
        text.push_str("# ");
        text.push_str(line);
        text.push('\n');
    }
    for id in ids {
        text.push_str(id);
        text.push('\n');
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// One list to check: its file and this run's ids for it.
pub struct Ledger<'a> {
    pub path: PathBuf,
    pub header: &'a str,
    pub ran: BTreeSet<String>,
    pub failing: BTreeSet<String>,
}

/// Applies the policy to every ledger. Returns the human summary on success, or the reason the
/// test must fail. Updating is refused for a sampled run, which would drop unsampled entries.
pub fn enforce(ledgers: &[Ledger], policy: Policy, full_run: bool) -> Result<String, String> {
    let mut summary = String::new();
    let mut problems = String::new();
    for ledger in ledgers {
        let name = ledger.path.display();
        if policy.update {
            if !full_run {
                return Err(
                    "XSD_UPDATE_KNOWN_FAILURES needs a full run (unset XSD_W3C_SAMPLE)".into(),
                );
            }
            store(&ledger.path, ledger.header, &ledger.failing)?;
            summary.push_str(&format!("wrote {} ids to {name}\n", ledger.failing.len()));
            continue;
        }
        let known = load(&ledger.path)?;
        let drift = compare(&known, &ledger.ran, &ledger.failing, full_run);
        summary.push_str(&format!(
            "{name}: {} listed, {} failing, {} new failures, {} newly passing\n",
            known.len(),
            ledger.failing.len(),
            drift.new_failures.len(),
            drift.newly_passing.len()
        ));
        if !drift.newly_passing.is_empty() {
            let list = bullet(&drift.newly_passing);
            let note = format!(
                "{name}: these now pass, remove them (or rerun with XSD_UPDATE_KNOWN_FAILURES=1):\n{list}"
            );
            if policy.strict {
                problems.push_str(&note);
            } else {
                summary.push_str(&note);
            }
        }
        if !drift.new_failures.is_empty() {
            problems.push_str(&format!(
                "{name}: {} new failures (not in the known-failures list):\n{}",
                drift.new_failures.len(),
                bullet(&drift.new_failures)
            ));
        }
    }
    if problems.is_empty() {
        Ok(summary)
    } else {
        Err(format!("{summary}{problems}"))
    }
}

fn bullet(ids: &[String]) -> String {
    const SHOWN: usize = 200;
    let mut out: String = ids
        .iter()
        .take(SHOWN)
        .map(|id| format!("  {id}\n"))
        .collect();
    if ids.len() > SHOWN {
        out.push_str(&format!("  ... and {} more\n", ids.len() - SHOWN));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn drift_in_full_and_sampled_runs() {
        let known = set(&["a", "b", "gone"]);
        let ran = set(&["a", "b", "c"]);
        let failing = set(&["a", "c"]);
        assert_eq!(
            compare(&known, &ran, &failing, true),
            Drift {
                new_failures: vec!["c".into()],
                newly_passing: vec!["b".into(), "gone".into()]
            }
        );
        assert_eq!(compare(&known, &ran, &failing, false).newly_passing, ["b"]);
    }

    #[test]
    fn enforce_round_trip() {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ratchet-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let ledger = |failing: &[&str]| Ledger {
            path: dir.join("list.txt"),
            header: "test list\nregenerate: X=1",
            ran: set(&["a", "b", "c"]),
            failing: set(failing),
        };
        let update = Policy {
            update: true,
            strict: false,
        };
        let check = Policy::default();
        let strict = Policy {
            update: false,
            strict: true,
        };

        // A missing list is empty: every failure is new.
        assert!(enforce(&[ledger(&["a"])], check, true).is_err());
        assert!(enforce(&[ledger(&["a"])], update, false).is_err());
        enforce(&[ledger(&["b", "a"])], update, true).unwrap();
        let text = std::fs::read_to_string(dir.join("list.txt")).unwrap();
        assert_eq!(text, "# test list\n# regenerate: X=1\na\nb\n");

        assert!(enforce(&[ledger(&["a", "b"])], strict, true).is_ok());
        let shrunk = enforce(&[ledger(&["a"])], check, true).unwrap();
        assert!(
            shrunk.contains("now pass") && shrunk.contains("  b\n"),
            "{shrunk}"
        );
        assert!(enforce(&[ledger(&["a"])], strict, true).is_err());
        let grown = enforce(&[ledger(&["a", "b", "c"])], check, true).unwrap_err();
        assert!(
            grown.contains("1 new failures") && grown.contains("  c\n"),
            "{grown}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
