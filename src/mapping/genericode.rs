//! Reading OASIS genericode 1.0 code lists (the format XÖV standards publish theirs in) into
//! key -> value pairs for two chosen columns. Runs when a mapping compiles, never per message.

use std::collections::HashMap;

use xsd_validator::reader::{Event, Limits, Reader};

/// The genericode namespace; the elements below the root are unqualified in the standard.
pub const GENERICODE_NAMESPACE: &str = "http://docs.oasis-open.org/codelist/ns/genericode/1.0/";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GenericodeError {
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("the root element is not a genericode CodeList")]
    NotACodeList,
    #[error("no column {column:?} (columns: {available})")]
    UnknownColumn { column: String, available: String },
    #[error("code {0:?} appears twice with different values")]
    DuplicateKey(String),
}

/// The rows of a code list, projected onto a key and a value column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenericodeTable {
    /// `Identification/CanonicalVersionUri`, when given (for messages).
    pub canonical_version_uri: Option<String>,
    pub entries: HashMap<String, String>,
}

#[derive(Default)]
struct Row {
    values: Vec<(String, String)>,
}

/// Reads `bytes` as a genericode code list. Columns are named by `Id` or `ShortName`.
pub fn read(
    bytes: &[u8],
    key_column: &str,
    value_column: &str,
) -> Result<GenericodeTable, GenericodeError> {
    let mut reader = Reader::from_slice(bytes, Limits::default());
    let mut path: Vec<String> = Vec::new();
    let mut columns: Vec<(String, Option<String>)> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    let mut text = String::new();
    let mut current_ref: Option<String> = None;
    let mut canonical_version_uri = None;
    loop {
        let event = reader
            .next_event()
            .map_err(|e| GenericodeError::Xml(e.to_string()))?;
        match event {
            Event::Start(tag) => {
                let name = tag.name();
                if path.is_empty()
                    && !(name.local == "CodeList" && name.namespace == Some(GENERICODE_NAMESPACE))
                {
                    return Err(GenericodeError::NotACodeList);
                }
                let local = name.local.to_owned();
                match (path.last().map(String::as_str), local.as_str()) {
                    (Some("ColumnSet"), "Column") => {
                        let id = tag
                            .attribute(None, "Id")
                            .map(|a| a.value.to_string())
                            .unwrap_or_default();
                        columns.push((id, None));
                    }
                    (Some("SimpleCodeList"), "Row") => rows.push(Row::default()),
                    (Some("Row"), "Value") => {
                        let row_len = rows.last().map_or(0, |r| r.values.len());
                        // Without ColumnRef a value belongs to the column after the previous one.
                        current_ref = Some(match tag.attribute(None, "ColumnRef") {
                            Some(a) => a.value.to_string(),
                            None => columns
                                .get(row_len)
                                .map(|(id, _)| id.clone())
                                .unwrap_or_default(),
                        });
                    }
                    _ => {}
                }
                path.push(local);
                text.clear();
            }
            Event::Text(t) => text.push_str(&t),
            Event::End(_) => {
                match path_tail(&path).as_slice() {
                    ["Column", "ShortName"] => {
                        if let Some(column) = columns.last_mut() {
                            column.1 = Some(text.trim().to_owned());
                        }
                    }
                    ["Identification", "CanonicalVersionUri"] => {
                        canonical_version_uri = Some(text.trim().to_owned());
                    }
                    ["Value", "SimpleValue"] => {
                        if let (Some(row), Some(column)) = (rows.last_mut(), current_ref.clone()) {
                            row.values.push((column, text.clone()));
                        }
                    }
                    _ => {}
                }
                path.pop();
                text.clear();
            }
            Event::Eof => break,
        }
    }
    let resolve = |wanted: &str| {
        columns
            .iter()
            .find(|(id, short)| id == wanted || short.as_deref() == Some(wanted))
            .map(|(id, _)| id.clone())
            .ok_or_else(|| GenericodeError::UnknownColumn {
                column: wanted.to_owned(),
                available: columns
                    .iter()
                    .map(|(id, _)| id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    };
    let key_id = resolve(key_column)?;
    let value_id = resolve(value_column)?;
    let mut entries = HashMap::with_capacity(rows.len());
    for row in rows {
        let find = |id: &str| {
            row.values
                .iter()
                .find(|(column, _)| column == id)
                .map(|(_, v)| v.clone())
        };
        // Rows lacking either column (optional columns) have nothing to translate.
        if let (Some(key), Some(value)) = (find(&key_id), find(&value_id)) {
            if let Some(previous) = entries.insert(key.clone(), value.clone()) {
                if previous != value {
                    return Err(GenericodeError::DuplicateKey(key));
                }
            }
        }
    }
    Ok(GenericodeTable {
        canonical_version_uri,
        entries,
    })
}

/// The last two open element names (fewer near the root).
fn path_tail(path: &[String]) -> Vec<&str> {
    path.get(path.len().saturating_sub(2)..)
        .unwrap_or_default()
        .iter()
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">
  <Identification><ShortName>x</ShortName>
    <CanonicalVersionUri>urn:x_1.0</CanonicalVersionUri></Identification>
  <ColumnSet>
    <Column Id="code" Use="required"><ShortName>code</ShortName></Column>
    <Column Id="beschreibung" Use="required"><ShortName>Beschreibung</ShortName></Column>
    <Column Id="hinweis" Use="optional"><ShortName>hinweis</ShortName></Column>
  </ColumnSet>
  <SimpleCodeList>
    <Row><Value ColumnRef="code"><SimpleValue>A</SimpleValue></Value>
         <Value ColumnRef="beschreibung"><SimpleValue>archivw&#252;rdig &amp; so</SimpleValue></Value></Row>
    <Row><Value><SimpleValue>V</SimpleValue></Value>
         <Value><SimpleValue>vernichten</SimpleValue></Value></Row>
  </SimpleCodeList>
</gc:CodeList>"#;

    #[test]
    fn reads_rows_by_column_id_or_short_name_and_positional_values() {
        let table = read(LIST.as_bytes(), "code", "Beschreibung").expect("read");
        assert_eq!(table.canonical_version_uri.as_deref(), Some("urn:x_1.0"));
        assert_eq!(
            table.entries.get("A").map(String::as_str),
            Some("archivwürdig & so")
        );
        assert_eq!(
            table.entries.get("V").map(String::as_str),
            Some("vernichten")
        );
        assert_eq!(table.entries.len(), 2);
        // Optional column present in no row: nothing to translate, not an error.
        assert!(read(LIST.as_bytes(), "code", "hinweis")
            .expect("read")
            .entries
            .is_empty());
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(matches!(
            read(LIST.as_bytes(), "code", "nope"),
            Err(GenericodeError::UnknownColumn { ref column, ref available })
                if column == "nope" && available == "code, beschreibung, hinweis"
        ));
        assert_eq!(
            read(b"<a/>", "code", "x"),
            Err(GenericodeError::NotACodeList)
        );
        assert!(matches!(
            read(b"<gc:CodeList", "code", "x"),
            Err(GenericodeError::Xml(_))
        ));
    }

    #[test]
    fn reads_a_real_xdomea_code_list() {
        let Some(dir) = crate::mapping::golden::shared_corpus() else {
            return;
        };
        let file = dir.join("xoev/xdomea-3.0.0/message_generation/schemes/xdomea_3.0.0/code_lists/Bewertungsvorschlag_1.0.xml");
        let bytes = std::fs::read(&file).expect("read code list");
        let table = read(&bytes, "code", "beschreibung").expect("genericode");
        assert_eq!(
            table.entries.get("A").map(String::as_str),
            Some("Das Schriftgutobjekt ist archivwürdig.")
        );
        assert_eq!(
            table.canonical_version_uri.as_deref(),
            Some("urn:xoev-de:xdomea:codeliste:bewertungsvorschlag_1.0")
        );
    }
}
