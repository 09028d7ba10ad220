//! The XÖV corpus manifest (shared/xoev/MANIFEST.tsv): schema, instance, expected verdict and
//! optional OASIS catalog per line, paths relative to the corpus directory.

use std::path::{Path, PathBuf};

use super::suite::Validity;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line number in the manifest.
    pub line: usize,
    pub schema: PathBuf,
    pub instance: PathBuf,
    pub expected: Validity,
    pub catalog: Option<PathBuf>,
}

/// Parses the manifest text; `root` is the directory its paths are relative to.
pub fn parse(text: &str, root: &Path) -> Result<Vec<Entry>, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header))
            if header.split('\t').collect::<Vec<_>>()
                == ["schema", "instance", "expected", "catalog"] => {}
        _ => return Err("MANIFEST.tsv: header is not schema, instance, expected, catalog".into()),
    }
    let mut entries = Vec::new();
    for (i, line) in lines {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [schema, instance, expected, rest @ ..] = fields.as_slice() else {
            return Err(format!("MANIFEST.tsv:{line_no}: fewer than 3 fields"));
        };
        let catalog = match rest {
            [] | [""] => None,
            [catalog] => Some(root.join(catalog)),
            _ => return Err(format!("MANIFEST.tsv:{line_no}: more than 4 fields")),
        };
        let expected = match *expected {
            "valid" => Validity::Valid,
            "invalid" => Validity::Invalid,
            other => return Err(format!("MANIFEST.tsv:{line_no}: expected {other:?}")),
        };
        entries.push(Entry {
            line: line_no,
            schema: root.join(schema),
            instance: root.join(instance),
            expected,
            catalog,
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_and_rejects_bad_ones() {
        let root = Path::new("/c");
        let text = "schema\tinstance\texpected\tcatalog\na.xsd\ta.xml\tvalid\t\nb.xsd\tb.xml\tinvalid\tcat.xml\n";
        let entries = parse(text, root).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].catalog, None);
        assert_eq!(entries[1].catalog.as_deref(), Some(Path::new("/c/cat.xml")));
        assert_eq!(entries[1].expected, Validity::Invalid);
        assert_eq!(entries[1].line, 3);
        assert!(parse("a\tb\n", root).is_err());
        assert!(parse(
            "schema\tinstance\texpected\tcatalog\na.xsd\ta.xml\tmaybe\n",
            root
        )
        .is_err());
        assert!(parse("schema\tinstance\texpected\tcatalog\na.xsd\n", root).is_err());
    }
}
