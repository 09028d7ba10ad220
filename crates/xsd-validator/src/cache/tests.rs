use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use crate::compile::{Content, Leaf, LeafNames, NamespaceSet, TypeBody};
use crate::content_model::Automaton;
use crate::datatypes::Builtin;
use crate::identity::Category;
use crate::test_rng::Rng;
use crate::{Outcome, ValidationOptions};

/// A fresh directory for one test, removed when the test ends.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("xsd-cache-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

const MAIN: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">
  <xs:include schemaLocation="types.xsd"/>
  <xs:include schemaLocation="optional.xsd"/>
  <xs:element name="list">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="item" type="Item" maxOccurs="unbounded"/>
        <xs:element name="ref" type="Code" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence>
      <xs:attribute name="version" type="xs:string" fixed="1.0"/>
    </xs:complexType>
    <xs:key name="itemKey"><xs:selector xpath="item"/><xs:field xpath="@code"/></xs:key>
    <xs:keyref name="refKey" refer="itemKey"><xs:selector xpath="ref"/><xs:field xpath="."/></xs:keyref>
  </xs:element>
</xs:schema>"#;

const TYPES: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">
  <xs:simpleType name="Code">
    <xs:restriction base="xs:token"><xs:pattern value="[A-Z]{2}\d{2}"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="Colour">
    <xs:restriction base="xs:string">
      <xs:enumeration value="red"/><xs:enumeration value="green"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="Amount">
    <xs:union memberTypes="xs:decimal Colour"/>
  </xs:simpleType>
  <xs:complexType name="Item">
    <xs:simpleContent>
      <xs:extension base="Amount">
        <xs:attribute name="code" type="Code" use="required"/>
        <xs:attribute name="colour" type="Colour" default="red"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>
</xs:schema>"#;

const VALID: &str = r#"<list xmlns="urn:t" version="1.0"><item code="AB12">1.5</item><item code="CD34">green</item><ref>AB12</ref></list>"#;
const INVALID: &str = r#"<list xmlns="urn:t" version="2.0"><item code="ab12">blue</item><item code="CD34">1</item><ref>ZZ99</ref><other/></list>"#;

/// Writes the test schema into `dir` and returns its entry path.
fn write_schema(dir: &Path) -> PathBuf {
    fs::write(dir.join("main.xsd"), MAIN).unwrap();
    fs::write(dir.join("types.xsd"), TYPES).unwrap();
    dir.join("main.xsd")
}

fn outcomes(set: &SchemaSet) -> Vec<Outcome> {
    [VALID, INVALID]
        .iter()
        .map(|doc| set.validate(doc.as_bytes(), &ValidationOptions::default()))
        .collect()
}

fn assert_same(a: &[Outcome], b: &[Outcome]) {
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.well_formed, y.well_formed);
        assert_eq!(x.violations, y.violations);
    }
}

fn compile(cache: &SchemaCache, entry: &Path) -> (SchemaSet, CacheOutcome) {
    cache
        .compile(&[entry.to_path_buf()], None)
        .unwrap_or_else(|e| panic!("{e:?}"))
}

/// Whether the set was compiled, not read from the cache, for a reason `why` accepts, and
/// its new entry was written.
fn compiled(outcome: &CacheOutcome, why: impl FnOnce(&Miss) -> bool) -> bool {
    matches!(outcome, CacheOutcome::Compiled { why: w, written: Ok(()) } if why(w))
}

fn entry_file(cache: &SchemaCache) -> PathBuf {
    let files: Vec<PathBuf> = fs::read_dir(cache.dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == EXTENSION))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.into_iter().next().unwrap()
}

#[test]
fn round_trip_gives_the_same_outcomes() {
    let dir = scratch("round-trip");
    let entry = write_schema(&dir);
    let cache = SchemaCache::new(dir.join("cache"));
    let fresh = SchemaSet::compile(std::slice::from_ref(&entry), None).unwrap();
    let expected = outcomes(&fresh);
    assert!(expected[0].is_valid(), "{:?}", expected[0].violations);
    assert!(
        expected[1].violations.len() >= 4,
        "{:?}",
        expected[1].violations
    );
    let (first, outcome) = compile(&cache, &entry);
    assert!(
        compiled(&outcome, |w| matches!(w, Miss::Absent)),
        "{outcome:?}"
    );
    assert_same(&expected, &outcomes(&first));
    let (cached, outcome) = compile(&cache, &entry);
    assert!(matches!(outcome, CacheOutcome::Hit), "{outcome:?}");
    assert_same(&expected, &outcomes(&cached));
    // Shared simple types stay shared (derivation checks compare them by address): the
    // union's members are the declared Colour type and the process-wide xs:decimal.
    let simple = |local: &str| {
        let ns = cached.namespaces.get(Some("urn:t")).unwrap();
        let index = cached.global_types[&cached.names.get(ns, local).unwrap()];
        std::sync::Arc::clone(&cached.type_rule(index).simple_rule().unwrap().simple)
    };
    let members = simple("Amount").member_types().to_vec();
    assert!(std::sync::Arc::ptr_eq(&members[1], &simple("Colour")));
    assert!(std::sync::Arc::ptr_eq(
        &members[0],
        &crate::datatypes::SimpleType::builtin(crate::datatypes::Builtin::Decimal)
    ));
    // The model is loaded from the sources on demand.
    let model = cached.try_model().unwrap();
    assert_eq!(model.types.len(), fresh.model().types.len());
    assert!(model.element(Some("urn:t"), "list").is_some());
}

#[test]
fn a_changed_source_is_recompiled() {
    let dir = scratch("changed");
    let entry = write_schema(&dir);
    let cache = SchemaCache::new(dir.join("cache"));
    compile(&cache, &entry);

    // Same size and modification time, other content: only the hash can tell.
    let types = dir.join("types.xsd");
    let mtime = fs::metadata(&types).unwrap().modified().unwrap();
    let edited = TYPES.replace(r"[A-Z]{2}\d{2}", r"[a-z]{2}\d{2}");
    assert_eq!(edited.len(), TYPES.len());
    fs::write(&types, &edited).unwrap();
    fs::File::options()
        .write(true)
        .open(&types)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let (set, outcome) = compile(&cache, &entry);
    assert!(
        compiled(
            &outcome,
            |w| matches!(w, Miss::Stale(why) if why.contains("types.xsd"))
        ),
        "{outcome:?}"
    );
    // The new pattern is in force: the valid document is now invalid, the rewritten entry is
    // used next time.
    assert!(!outcomes(&set)[0].is_valid());
    let (set, outcome) = compile(&cache, &entry);
    assert!(matches!(outcome, CacheOutcome::Hit), "{outcome:?}");
    assert!(!outcomes(&set)[0].is_valid());

    // Touched only: recompiled (cheap to detect, and the content check would pass).
    let later = mtime + std::time::Duration::from_secs(5);
    fs::File::options()
        .write(true)
        .open(&types)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let (_, outcome) = compile(&cache, &entry);
    assert!(
        compiled(&outcome, |w| matches!(w, Miss::Stale(_))),
        "{outcome:?}"
    );
}

#[test]
fn a_settled_file_is_checked_by_its_stamp_and_a_replaced_one_by_content() {
    use sources::FileState;
    use std::time::{Duration, SystemTime};
    let dir = scratch("stamp");
    let file = dir.join("a.xsd");
    fs::write(&file, "one").unwrap();
    let stat = fs::metadata(&file).unwrap();
    let hash = xxhash_rust::xxh3::xxh3_64(b"one");
    let mut buffer = Vec::new();
    // Just written: no stamp, the content decides.
    let fresh = Dependency::read(&file, Some(&stat), SystemTime::now(), hash);
    assert!(matches!(
        fresh.state,
        FileState::Present { stamp: None, .. }
    ));
    assert_eq!(fresh.change(&mut buffer), None);
    // Examined a minute after its last change: it has a stamp, and an unchanged stamp is
    // trusted without reading the file (the recorded hash here is wrong on purpose).
    let later = SystemTime::now() + Duration::from_secs(60);
    let settled = Dependency::read(&file, Some(&stat), later, hash ^ 1);
    let stamped = matches!(settled.state, FileState::Present { stamp: Some(_), .. });
    assert_eq!(stamped, cfg!(unix));
    assert_eq!(settled.change(&mut buffer).is_none(), cfg!(unix));
    // Replaced by a file of the same size and modification time (a copy that keeps times):
    // another inode, so the stamp differs and the content decides.
    let settled = Dependency::read(&file, Some(&stat), later, hash);
    let replacement = dir.join("b.tmp");
    fs::write(&replacement, "two").unwrap();
    fs::File::options()
        .write(true)
        .open(&replacement)
        .unwrap()
        .set_modified(stat.modified().unwrap())
        .unwrap();
    fs::rename(&replacement, &file).unwrap();
    let change = settled.change(&mut buffer);
    assert!(
        change
            .as_ref()
            .is_some_and(|why| why.contains("other content")),
        "{change:?}"
    );
}

#[test]
fn a_file_appearing_where_one_was_missing_is_a_change() {
    let dir = scratch("appearing");
    let entry = write_schema(&dir);
    let cache = SchemaCache::new(dir.join("cache"));
    let (set, _) = compile(&cache, &entry);
    assert!(outcomes(&set)[0].is_valid());
    // main.xsd includes optional.xsd, which did not exist: it may now declare more.
    fs::write(
        dir.join("optional.xsd"),
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t">
             <xs:element name="other"/></xs:schema>"#,
    )
    .unwrap();
    let (set, outcome) = compile(&cache, &entry);
    assert!(
        compiled(
            &outcome,
            |w| matches!(w, Miss::Stale(why) if why.contains("optional.xsd"))
        ),
        "{outcome:?}"
    );
    assert!(set.element(Some("urn:t"), "other").is_some());
}

#[test]
fn a_changed_catalog_is_recompiled() {
    let dir = scratch("catalog");
    fs::write(
        dir.join("main.xsd"),
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:e="urn:e"
             targetNamespace="urn:m">
             <xs:import namespace="urn:e" schemaLocation="http://example.org/e.xsd"/>
             <xs:element name="root"><xs:complexType><xs:sequence>
               <xs:element ref="e:value"/></xs:sequence></xs:complexType></xs:element>
           </xs:schema>"#,
    )
    .unwrap();
    let ext = |ty: &str| {
        format!(
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:e">
                 <xs:element name="value" type="xs:{ty}"/></xs:schema>"#
        )
    };
    fs::write(dir.join("e1.xsd"), ext("integer")).unwrap();
    fs::write(dir.join("e2.xsd"), ext("string")).unwrap();
    let catalog_text = |target: &str| {
        format!(
            r#"<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
                 <uri name="http://example.org/e.xsd" uri="{target}"/></catalog>"#
        )
    };
    let catalog = dir.join("catalog.xml");
    fs::write(&catalog, catalog_text("e1.xsd")).unwrap();
    let cache = SchemaCache::new(dir.join("cache"));
    let entries = [dir.join("main.xsd")];
    let doc = br#"<m:root xmlns:m="urn:m" xmlns:e="urn:e"><e:value>abc</e:value></m:root>"#;
    let options = ValidationOptions::default();

    let (set, _) = cache.compile(&entries, Some(&catalog)).unwrap();
    assert!(!set.validate(doc, &options).is_valid());
    let (set, outcome) = cache.compile(&entries, Some(&catalog)).unwrap();
    assert!(matches!(outcome, CacheOutcome::Hit), "{outcome:?}");
    assert!(!set.validate(doc, &options).is_valid());

    fs::write(&catalog, catalog_text("e2.xsd")).unwrap();
    let (set, outcome) = cache.compile(&entries, Some(&catalog)).unwrap();
    assert!(
        compiled(
            &outcome,
            |w| matches!(w, Miss::Stale(why) if why.contains("catalog.xml"))
        ),
        "{outcome:?}"
    );
    assert!(set.validate(doc, &options).is_valid());
    // Without the catalog it is another set (another key), which does not compile.
    assert!(cache.compile(&entries, None).is_err());
}

#[test]
fn damaged_entries_are_compiled_again_never_used() {
    let dir = scratch("damaged");
    let entry = write_schema(&dir);
    let cache = SchemaCache::new(dir.join("cache"));
    let expected = outcomes(&compile(&cache, &entry).0);
    let file = entry_file(&cache);
    let good = fs::read(&file).unwrap();
    let key = canonical_key(std::slice::from_ref(&entry), None).unwrap();

    // Every truncation and, at a stride, every bit flip: detected before anything is used.
    let stride = (good.len() / 400).max(1);
    for len in (0..good.len()).step_by(stride) {
        assert!(
            read_entry(&good[..len], &key).is_err(),
            "truncated to {len}"
        );
    }
    for at in (0..good.len()).step_by(stride) {
        for bit in [0, 3, 7] {
            let mut bad = good.clone();
            bad[at] ^= 1 << bit;
            assert!(read_entry(&bad, &key).is_err(), "bit {bit} of byte {at}");
        }
    }
    let mut extended = good.clone();
    extended.push(0);
    assert!(read_entry(&extended, &key).is_err());

    // Through the public path: the damaged file is replaced by a good one.
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x40;
    fs::write(&file, &bad).unwrap();
    let (set, outcome) = compile(&cache, &entry);
    assert!(
        compiled(&outcome, |w| matches!(w, Miss::Corrupt(_))),
        "{outcome:?}"
    );
    assert_same(&expected, &outcomes(&set));
    fs::write(&file, b"").unwrap();
    let (_, outcome) = compile(&cache, &entry);
    let corrupt = |w: &Miss| matches!(w, Miss::Corrupt(_));
    assert!(compiled(&outcome, corrupt), "{outcome:?}");
    assert!(matches!(compile(&cache, &entry).1, CacheOutcome::Hit));
}

/// Re-seals `bytes` with a valid checksum after `edit` changed the header or body, to reach
/// the checks behind the checksum.
fn reseal(bytes: &[u8], edit: impl FnOnce(&mut Header, &mut Vec<u8>)) -> Vec<u8> {
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let rest = &bytes[PREAMBLE_LEN..];
    let mut header: Header = postcard::from_bytes(&rest[..header_len]).unwrap();
    let mut body = rest[header_len..].to_vec();
    edit(&mut header, &mut body);
    seal(&postcard::to_allocvec(&header).unwrap(), &body).unwrap()
}

#[test]
fn foreign_and_mismatched_entries_are_not_used() {
    let dir = scratch("foreign");
    let entry = write_schema(&dir);
    let cache = SchemaCache::new(dir.join("cache"));
    compile(&cache, &entry);
    let good = fs::read(entry_file(&cache)).unwrap();
    let key = canonical_key(std::slice::from_ref(&entry), None).unwrap();
    assert!(read_entry(&reseal(&good, |_, _| {}), &key).is_ok());

    let other_build = reseal(&good, |h, _| h.build.push_str("-other"));
    assert_eq!(read_entry(&other_build, &key).err(), Some(Miss::Foreign));
    let mut other_format = good.clone();
    other_format[8] ^= 1;
    assert_eq!(read_entry(&other_format, &key).err(), Some(Miss::Foreign));
    let other_key = reseal(&good, |h, _| h.key.catalog = Some(PathBuf::from("/c.xml")));
    assert_eq!(read_entry(&other_key, &key).err(), Some(Miss::Absent));
    assert!(read_entry(&good, &key).is_ok());
}

/// Damage behind a valid checksum (not something a disk does, but the decoder must still
/// refuse or read without panicking).
#[test]
fn resealed_damaged_bodies_do_not_panic() {
    let dir = scratch("resealed");
    let entry = write_schema(&dir);
    let cache = SchemaCache::new(dir.join("cache"));
    compile(&cache, &entry);
    let good = fs::read(entry_file(&cache)).unwrap();
    let key = canonical_key(std::slice::from_ref(&entry), None).unwrap();
    let header_len = u32::from_le_bytes(good[12..16].try_into().unwrap()) as usize;
    let body_len = good.len() - PREAMBLE_LEN - header_len;
    let stride = (body_len / 300).max(1);
    for at in (0..body_len).step_by(stride) {
        let flipped = reseal(&good, |_, body| {
            if let Some(b) = body.get_mut(at) {
                *b ^= 0x55;
            }
        });
        let _ = read_entry(&flipped, &key);
        let cut = reseal(&good, |_, body| body.truncate(at));
        assert!(read_entry(&cut, &key).is_err(), "body cut at {at}");
    }
}

#[test]
fn a_failed_write_is_reported_and_the_set_still_compiles() {
    let dir = scratch("unwritable");
    let entry = write_schema(&dir);
    // The cache directory is a file: nothing can be written below it.
    let blocked = dir.join("cache");
    fs::write(&blocked, b"not a directory").unwrap();
    let cache = SchemaCache::new(&blocked);
    let (set, outcome) = compile(&cache, &entry);
    assert!(
        matches!(&outcome, CacheOutcome::Compiled { written: Err(e), .. } if e.path.starts_with(&blocked)),
        "{outcome:?}"
    );
    assert!(outcomes(&set)[0].is_valid());
}

#[test]
fn missing_entries_bypass_the_cache_with_the_usual_error() {
    let dir = scratch("missing");
    let cache = SchemaCache::new(dir.join("cache"));
    let errors = cache.compile(&[dir.join("nope.xsd")], None).unwrap_err();
    assert_eq!(
        errors,
        SchemaSet::compile(&[dir.join("nope.xsd")], None).unwrap_err()
    );
    assert!(!dir.join("cache").exists());
}

#[test]
fn old_entries_and_abandoned_temporary_files_are_pruned_on_write() {
    let dir = scratch("prune");
    let entry = write_schema(&dir);
    let cache = SchemaCache::new(dir.join("cache"));
    compile(&cache, &entry);
    let current = entry_file(&cache);
    let set_age = |path: &Path, age: std::time::Duration| {
        fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(std::time::SystemTime::now() - age)
            .unwrap();
    };
    let day = std::time::Duration::from_secs(24 * 3600);
    let old = cache.dir().join(format!("{:032x}.{EXTENSION}", 1));
    let recent = cache.dir().join(format!("{:032x}.{EXTENSION}", 2));
    let abandoned = cache.dir().join(".x.xsdset.1.2.tmp");
    let in_progress = cache.dir().join(".y.xsdset.1.2.tmp");
    let unrelated = cache.dir().join("notes.txt");
    for file in [&old, &recent, &abandoned, &in_progress, &unrelated] {
        fs::write(file, b"x").unwrap();
        set_age(file, 40 * day);
    }
    set_age(&recent, 10 * day);
    set_age(&in_progress, std::time::Duration::from_secs(60));
    // A hit writes nothing and prunes nothing.
    assert!(matches!(compile(&cache, &entry).1, CacheOutcome::Hit));
    assert!(old.exists());
    // A write prunes.
    fs::write(dir.join("types.xsd"), TYPES.replace("green", "blue!")).unwrap();
    compile(&cache, &entry);
    assert!(!old.exists() && !abandoned.exists());
    assert!(recent.exists() && in_progress.exists() && unrelated.exists() && current.exists());
}

/// A set with every structure the structural check covers: a counted sequence, a type
/// derived by extension, a substitution group, `xs:all`, a model the counter engine cannot
/// track (`(b{1,2}){3,4}`, unrolled), element and attribute wildcards, key and keyref; and
/// facets of several kinds, so that edited bytes reach the datatypes too.
const FORGE: &str = r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns="urn:f" targetNamespace="urn:f" elementFormDefault="qualified">
  <xs:complexType name="Base">
    <xs:sequence><xs:element name="a" type="xs:int" minOccurs="2" maxOccurs="3"/></xs:sequence>
    <xs:attribute name="n" type="xs:int" use="required"/>
    <xs:attribute name="id" type="xs:ID"/>
  </xs:complexType>
  <xs:complexType name="Derived">
    <xs:complexContent><xs:extension base="Base">
      <xs:sequence><xs:element ref="head" minOccurs="0"/></xs:sequence>
      <xs:anyAttribute namespace="##other" processContents="skip"/>
    </xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:element name="head" type="xs:string"/>
  <xs:element name="member" substitutionGroup="head" type="xs:string"/>
  <xs:complexType name="Bag">
    <xs:all>
      <xs:element name="x" type="xs:string"/>
      <xs:element name="y" type="xs:string" minOccurs="0"/>
    </xs:all>
  </xs:complexType>
  <xs:complexType name="Odd">
    <xs:sequence minOccurs="3" maxOccurs="4">
      <xs:element name="b" type="xs:string" maxOccurs="2"/>
    </xs:sequence>
  </xs:complexType>
  <xs:simpleType name="Amount">
    <xs:restriction base="xs:decimal">
      <xs:totalDigits value="5"/><xs:fractionDigits value="2"/>
      <xs:minInclusive value="-100.5"/><xs:maxExclusive value="1000"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="Code">
    <xs:restriction base="xs:string">
      <xs:maxLength value="3"/><xs:pattern value="[a-z]+\d?"/>
      <xs:enumeration value="ab"/><xs:enumeration value="cd"/><xs:enumeration value="ef1"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="Codes"><xs:list itemType="Code"/></xs:simpleType>
  <xs:simpleType name="When"><xs:union memberTypes="xs:date xs:gYear"/></xs:simpleType>
  <xs:element name="root">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="d" type="Derived" maxOccurs="unbounded"/>
        <xs:element name="bag" type="Bag"/>
        <xs:element name="odd" type="Odd"/>
        <xs:element name="ref" type="xs:int" minOccurs="0" maxOccurs="unbounded"/>
        <xs:any namespace="##other" processContents="lax" minOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="amount" type="Amount"/>
      <xs:attribute name="codes" type="Codes"/>
      <xs:attribute name="when" type="When"/>
      <xs:attribute name="at" type="xs:dateTime" fixed="2024-01-01T12:00:00Z"/>
      <xs:attribute name="span" type="xs:duration" default="P1D"/>
    </xs:complexType>
    <xs:key name="k"><xs:selector xpath="d"/><xs:field xpath="@n"/></xs:key>
    <xs:keyref name="r" refer="k"><xs:selector xpath="ref"/><xs:field xpath="."/></xs:keyref>
  </xs:element>
</xs:schema>"###;

const FORGE_DOCUMENTS: [&str; 3] = [
    r#"<root xmlns="urn:f" amount="12.5" codes="ab ef1" when="2024" at="2024-01-01T13:00:00+01:00" span="PT24H"><d n="1"><a>1</a><a>2</a><member>m</member></d><d n="2" id="i2" xmlns:o="urn:o" o:x="1"><a>3</a><a>4</a><a>5</a></d><bag><y>y</y><x>x</x></bag><odd><b>1</b><b>2</b><b>3</b></odd><ref>1</ref><o:e xmlns:o="urn:o"/></root>"#,
    r#"<root xmlns="urn:f" amount="1000.001" codes="abcd x" when="2024-13-01" at="2024-01-01T12:00:01Z" span="1D"><d n="1" id="i" xx="1"><a>x</a><member>m</member><head>h</head></d><d n="1" id="i"><a>1</a><a>2</a></d><bag><y>y</y></bag><odd><b>1</b></odd><ref>7</ref><other/></root>"#,
    r#"<root xmlns="urn:f" amount="-100.51" codes="" when="x"><bag><x/><x/></bag><odd><b/><b/><b/><b/><b/><b/><b/><b/><b/></odd><d n="z"/></root>"#,
];

fn forge_outcomes(set: &SchemaSet) -> Vec<Outcome> {
    FORGE_DOCUMENTS
        .iter()
        .map(|doc| set.validate(doc.as_bytes(), &ValidationOptions::default()))
        .collect()
}

/// A cache with an entry for the [`FORGE`] schema: (scratch, entry path, cache, the entry's
/// bytes, key, verdicts of the fresh set).
fn forge_setup(name: &str) -> (Scratch, PathBuf, SchemaCache, Vec<u8>, Key, Vec<Outcome>) {
    let dir = scratch(name);
    let entry = dir.join("forge.xsd");
    fs::write(&entry, FORGE).unwrap();
    let cache = SchemaCache::new(dir.join("cache"));
    let fresh = SchemaSet::compile(std::slice::from_ref(&entry), None).unwrap();
    let expected = forge_outcomes(&fresh);
    assert!(expected[0].is_valid(), "{:?}", expected[0].violations);
    assert!(
        expected[1].violations.len() >= 6,
        "{:?}",
        expected[1].violations
    );
    assert!(!expected[2].is_valid());
    let (_, outcome) = compile(&cache, &entry);
    assert!(compiled(&outcome, |_| true));
    let bytes = fs::read(entry_file(&cache)).unwrap();
    let key = canonical_key(std::slice::from_ref(&entry), None).unwrap();
    (dir, entry, cache, bytes, key, expected)
}

/// Decodes `bytes`, lets `edit` change the set, and writes it again through the module's
/// own encoder (so the checksum is valid and the body decodes).
fn forge(bytes: &[u8], key: &Key, edit: impl FnOnce(&mut SchemaSet)) -> Vec<u8> {
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let header: Header =
        postcard::from_bytes(&bytes[PREAMBLE_LEN..PREAMBLE_LEN + header_len]).unwrap();
    let mut set = read_entry(bytes, key).unwrap();
    edit(&mut set);
    encode_entry(key, header.dependencies, &set).unwrap()
}

/// The type of the global element `local` (in urn:f).
fn type_of(set: &SchemaSet, local: &str) -> TypeIndex {
    let ns = set.namespaces.get(Some("urn:f")).unwrap();
    let name = set.names.get(ns, local).unwrap();
    set.element_rule(set.global_elements[&name]).type_index
}

/// The index of the named type `local` (in urn:f).
fn named_type(set: &SchemaSet, local: &str) -> TypeIndex {
    let ns = set.namespaces.get(Some("urn:f")).unwrap();
    set.global_types[&set.names.get(ns, local).unwrap()]
}

fn complex_mut(set: &mut SchemaSet, index: TypeIndex) -> &mut crate::compile::ComplexRule {
    match &mut set.types[index.0 as usize].body {
        TypeBody::Complex(c) => c,
        TypeBody::Simple(_) => panic!("type {} is simple", index.0),
    }
}

fn automaton_mut(set: &mut SchemaSet, index: TypeIndex) -> &mut Automaton<Leaf> {
    match &mut complex_mut(set, index).content {
        Content::Elements { automaton, .. } => automaton,
        other => panic!("type {} has no element content: {other:?}", index.0),
    }
}

/// An automaton with the leaves `leaves` and the engine (tables) of `engine`: postcard
/// writes a struct as its fields in order, so the bytes of the leaves followed by the
/// engine's part of another automaton's bytes decode as such a hybrid.
fn hybrid(leaves: &[Leaf], engine: &Automaton<Leaf>) -> Automaton<Leaf> {
    let whole = postcard::to_allocvec(engine).unwrap();
    let engine_leaves = postcard::to_allocvec(engine.leaves()).unwrap();
    let mut bytes = postcard::to_allocvec(leaves).unwrap();
    bytes.extend_from_slice(&whole[engine_leaves.len()..]);
    postcard::from_bytes(&bytes).unwrap()
}

#[test]
fn forged_indices_make_the_entry_damaged() {
    let (_dir, entry, cache, good, key, expected) = forge_setup("forged");
    let file = entry_file(&cache);
    assert!(read_entry(&forge(&good, &key, |_| {}), &key).is_ok());

    type Edit = Box<dyn Fn(&mut SchemaSet)>;
    let far = u32::MAX - 1;
    let forgeries: Vec<(&str, Edit)> = vec![
        (
            "element type",
            Box::new(move |s| s.elements[0].type_index = TypeIndex(far)),
        ),
        (
            "element name",
            Box::new(move |s| s.elements[0].name = NameId(far)),
        ),
        (
            "element namespace",
            Box::new(move |s| s.elements[0].namespace = NamespaceId(far)),
        ),
        (
            "element model id",
            Box::new(|s| s.elements[0].model_id = schema::ElementId(1)),
        ),
        (
            "element identity constraint",
            Box::new(|s| {
                let i = s
                    .elements
                    .iter()
                    .position(|e| !e.identity_constraints.is_empty());
                let e = &mut s.elements[i.unwrap()];
                e.identity_constraints = vec![schema::IdentityConstraintId(2)].into();
            }),
        ),
        (
            "attribute type",
            Box::new(move |s| s.attributes[0].type_index = TypeIndex(far)),
        ),
        (
            "attribute name",
            Box::new(move |s| s.attributes[0].name = NameId(far)),
        ),
        (
            "attribute use",
            Box::new(move |s| {
                let base = named_type(s, "Base");
                complex_mut(s, base).attributes[0].attribute = AttributeIndex(far);
            }),
        ),
        (
            "attribute uses out of order",
            Box::new(|s| {
                let base = named_type(s, "Base");
                complex_mut(s, base).attributes.reverse();
            }),
        ),
        (
            "attribute wildcard namespace",
            Box::new(move |s| {
                let derived = named_type(s, "Derived");
                let w = complex_mut(s, derived).wildcard.as_mut().unwrap();
                w.namespaces = NamespaceSet::Not(NamespaceId(far));
            }),
        ),
        (
            "base type",
            Box::new(move |s| s.types[1].base = Some(TypeIndex(far))),
        ),
        (
            "base chain loop",
            Box::new(|s| {
                let (base, derived) = (named_type(s, "Base"), named_type(s, "Derived"));
                s.types[base.0 as usize].base = Some(derived);
            }),
        ),
        (
            "base of anyType",
            Box::new(|s| s.types[0].base = Some(TypeIndex::ANY_TYPE)),
        ),
        (
            "global element",
            Box::new(move |s| {
                let name = *s.global_elements.keys().next().unwrap();
                s.global_elements.insert(name, ElementIndex(far));
            }),
        ),
        (
            "global attribute name",
            // An attribute index in range, filed under an element's name.
            Box::new(|s| {
                let name = type_name_of_element(s, "root");
                s.global_attributes.insert(name, AttributeIndex(0));
            }),
        ),
        (
            "global type",
            Box::new(move |s| {
                let name = *s.global_types.keys().next().unwrap();
                s.global_types.insert(name, TypeIndex(far));
            }),
        ),
        (
            "type name",
            Box::new(move |s| s.types[1].name = Some(NameId(far))),
        ),
        (
            "xsi namespace",
            Box::new(move |s| s.xsi_namespace = NamespaceId(far)),
        ),
        (
            "name namespace",
            Box::new(|s| {
                let names = (
                    "ab",
                    vec![(NamespaceId::ABSENT, 1u32), (NamespaceId(9999), 2)],
                );
                let bytes = postcard::to_allocvec(&names).unwrap();
                s.names = postcard::from_bytes(&bytes).unwrap();
            }),
        ),
        (
            "leaf element",
            Box::new(move |s| {
                let derived = named_type(s, "Derived");
                let automaton = automaton_mut(s, derived);
                let mut leaves = automaton.leaves().to_vec();
                for leaf in &mut leaves {
                    if let Leaf::Element { head, names } = leaf {
                        let mut list = names.of(head).to_vec();
                        list[0].element = ElementIndex(far);
                        *names = LeafNames::List(list);
                    }
                }
                *automaton = hybrid(&leaves, automaton);
            }),
        ),
        (
            "leaf names out of order",
            Box::new(|s| {
                let derived = named_type(s, "Derived");
                let automaton = automaton_mut(s, derived);
                let mut leaves = automaton.leaves().to_vec();
                let mut reversed = 0;
                for leaf in &mut leaves {
                    if let Leaf::Element {
                        names: LeafNames::List(list),
                        ..
                    } = leaf
                    {
                        list.reverse();
                        reversed += 1;
                    }
                }
                assert!(reversed > 0, "a substitution group's leaf");
                *automaton = hybrid(&leaves, automaton);
            }),
        ),
        (
            "leaf wildcard namespace",
            Box::new(move |s| {
                let root = type_of(s, "root");
                let automaton = automaton_mut(s, root);
                let mut leaves = automaton.leaves().to_vec();
                for leaf in &mut leaves {
                    if let Leaf::Wildcard(w) = leaf {
                        w.namespaces = NamespaceSet::Set(vec![NamespaceId(far), NamespaceId(1)]);
                    }
                }
                *automaton = hybrid(&leaves, automaton);
            }),
        ),
        // The engines' tables name more leaves than the automaton has.
        (
            "position machine leaves",
            Box::new(|s| drop_last_leaf(s, "root")),
        ),
        ("all group leaves", Box::new(|s| drop_last_leaf(s, "bag"))),
        (
            "unrolled machine leaves",
            Box::new(|s| drop_last_leaf(s, "odd")),
        ),
        (
            // As many leaves, other names: the transition table's keys no longer fit.
            "transition keys",
            Box::new(|s| {
                let (base, root) = (named_type(s, "Base"), type_of(s, "root"));
                let other = automaton_mut(s, root).leaves()[..1].to_vec();
                let automaton = automaton_mut(s, base);
                *automaton = hybrid(&other, automaton);
            }),
        ),
        (
            "keyref target",
            Box::new(|s| {
                for c in &mut s.identity.constraints {
                    if let Category::KeyRef(r) = &mut c.category {
                        *r = 7;
                    }
                }
            }),
        ),
        (
            "keyref to a keyref",
            Box::new(|s| {
                let i = s
                    .identity
                    .constraints
                    .iter()
                    .position(|c| matches!(c.category, Category::KeyRef(_)));
                let c = &mut s.identity.constraints[i.unwrap()];
                c.category = Category::KeyRef(i.unwrap());
            }),
        ),
        (
            "keyref field count",
            Box::new(|s| {
                for c in &mut s.identity.constraints {
                    if matches!(c.category, Category::KeyRef(_)) {
                        let field = c.fields[0].clone();
                        c.fields.push(field);
                        c.field_texts.push("x".into());
                    }
                }
            }),
        ),
        (
            "identity constraint id",
            Box::new(|s| s.identity.constraints[0].id = schema::IdentityConstraintId(5)),
        ),
    ];
    for (what, edit) in &forgeries {
        let forged = forge(&good, &key, edit);
        match read_entry(&forged, &key) {
            Err(Miss::Corrupt(why)) => assert!(why.starts_with("compiled set: "), "{what}: {why}"),
            other => panic!("{what}: {:?}", other.map(|_| "a set")),
        }
        // Through the public path: compiled again, the right verdicts, the entry replaced.
        fs::write(&file, &forged).unwrap();
        let (set, outcome) = compile(&cache, &entry);
        assert!(
            compiled(&outcome, |w| matches!(w, Miss::Corrupt(_))),
            "{what}: {outcome:?}"
        );
        assert_same(&expected, &forge_outcomes(&set));
        let (set, outcome) = compile(&cache, &entry);
        assert!(matches!(outcome, CacheOutcome::Hit), "{what}: {outcome:?}");
        assert_same(&expected, &forge_outcomes(&set));
    }
}

/// Replaces the automaton of the type of the global element `local` by one without its
/// last leaf.
fn drop_last_leaf(set: &mut SchemaSet, local: &str) {
    let index = if local == "root" {
        type_of(set, local)
    } else {
        named_type(set, if local == "bag" { "Bag" } else { "Odd" })
    };
    let automaton = automaton_mut(set, index);
    let leaves = automaton.leaves();
    let fewer = leaves[..leaves.len() - 1].to_vec();
    *automaton = hybrid(&fewer, automaton);
}

fn type_name_of_element(set: &SchemaSet, local: &str) -> NameId {
    let ns = set.namespaces.get(Some("urn:f")).unwrap();
    set.names.get(ns, local).unwrap()
}

/// Bytes of the body changed behind a valid checksum (every byte with several masks, then
/// random multi-byte edits): reading never panics, and a set that is read validates the
/// documents without panicking (or looping: the test would not end). A set read this way
/// need not give the fresh verdicts: an edit inside a string (an enumeration value, a
/// pattern) is a different, consistent schema, which no structural check can tell from the
/// real one; the checksum is what keeps accidental damage out.
#[test]
fn edited_bodies_never_panic_in_reading_or_validation() {
    let (_dir, _entry, _cache, good, key, expected) = forge_setup("edited");
    let header_len = u32::from_le_bytes(good[12..16].try_into().unwrap()) as usize;
    let body_len = good.len() - PREAMBLE_LEN - header_len;
    let mut cases: Vec<(String, Vec<(usize, u8)>)> = Vec::new();
    for at in 0..body_len {
        for mask in [0x01, 0x02, 0x10, 0x80, 0xff] {
            cases.push((format!("byte {at} ^ {mask:#04x}"), vec![(at, mask)]));
        }
    }
    // More random cases for a deeper local run: XSD_CACHE_EDITS=100000.
    let random_cases = std::env::var("XSD_CACHE_EDITS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..random_cases {
        let edits: Vec<(usize, u8)> = (0..1 + rng.below(4))
            .map(|_| (rng.below(body_len), 1 + rng.below(255) as u8))
            .collect();
        cases.push((format!("random case {case}: {edits:?}"), edits));
    }
    let (mut read, mut differing, mut panics) = (0, 0, Vec::new());
    for (what, edits) in &cases {
        let edited = reseal(&good, |_, body| {
            for &(at, mask) in edits {
                body[at] ^= mask;
            }
        });
        let result = std::panic::catch_unwind(|| {
            read_entry(&edited, &key)
                .ok()
                .map(|set| forge_outcomes(&set))
        });
        match result {
            Err(_) => panics.push(what.clone()),
            Ok(Some(outcomes)) => {
                read += 1;
                if outcomes
                    .iter()
                    .zip(&expected)
                    .any(|(a, b)| a.violations != b.violations)
                {
                    differing += 1;
                }
            }
            Ok(None) => {}
        }
    }
    println!(
        "{} edited bodies: {read} read and validated, {differing} of them with other verdicts",
        cases.len()
    );
    assert!(panics.is_empty(), "panics: {panics:#?}");
}

/// Adds a type for each of `simple` (in order, so that each is written once at the top
/// level and later ones refer back to it) and points the element `ref` of [`FORGE`] at the
/// last.
fn retype_ref(set: &mut SchemaSet, simple: Vec<std::sync::Arc<crate::datatypes::SimpleType>>) {
    use crate::compile::{IdKind, Method, SimpleRule, TypeRule};
    let index = TypeIndex(u32::try_from(set.types.len() + simple.len() - 1).unwrap());
    set.types.extend(simple.into_iter().map(|simple| TypeRule {
        name: None,
        base: Some(TypeIndex::ANY_TYPE),
        method: Method::Restriction,
        final_set: schema::DerivationSet::EMPTY,
        block: schema::DerivationSet::EMPTY,
        is_abstract: false,
        body: TypeBody::Simple(SimpleRule {
            simple,
            id: IdKind::None,
        }),
    }));
    let ns = set.namespaces.get(Some("urn:f")).unwrap();
    let name = set.names.get(ns, "ref").unwrap();
    for e in set.elements.iter_mut().filter(|e| e.name == name) {
        e.type_index = index;
    }
}

/// Simple types nested so deeply that checking a value would overflow the stack, or unions
/// whose shared members expand to 2^40 checks: written by the encoder in a few hundred
/// bytes (shared values are written once), refused on reading. Their sizes just inside the
/// limits are read, and validate.
#[test]
fn simple_types_too_deep_or_expanding_too_far_make_the_entry_damaged() {
    use crate::datatypes::{Builtin, SimpleType};
    use std::sync::Arc;
    let (_dir, _entry, _cache, good, key, _expected) = forge_setup("simple-weight");
    // Every level of a chain of unions, the built-in at the bottom not included.
    let chain = |levels: u32, width: usize| {
        let mut t = SimpleType::builtin(Builtin::Int);
        let mut all = Vec::new();
        for _ in 0..levels {
            let members = vec![Arc::clone(&t); width];
            t = Arc::new(SimpleType::union(&members, None).unwrap());
            all.push(Arc::clone(&t));
        }
        all
    };
    let last = |mut all: Vec<Arc<SimpleType>>| vec![all.pop().unwrap()];
    // Depth counts the built-in too; 2^16 checks is the limit.
    let depth = crate::datatypes::weight::MAX_SIMPLE_DEPTH;
    let cases = [
        // Written nested: the reader stops before its recursion goes too deep.
        ("nested", last(chain(depth + 64, 1)), false),
        ("deep", last(chain(depth, 1)), false),
        ("deepest allowed", last(chain(depth - 1, 1)), true),
        // Each level written at the top level: shallow to read, deep to check a value.
        ("deep, written flat", chain(4 * depth, 1), false),
        ("deepest allowed, written flat", chain(depth - 1, 1), true),
        ("wide", last(chain(40, 2)), false),
        ("widest allowed", last(chain(16, 2)), true),
    ];
    for (what, simple, allowed) in cases {
        let forged = forge(&good, &key, |s| retype_ref(s, simple));
        assert!(
            forged.len() < good.len() + (64 << 10),
            "{what}: {} bytes",
            forged.len()
        );
        match read_entry(&forged, &key) {
            Ok(set) if allowed => {
                let outcomes = forge_outcomes(&set);
                assert!(
                    outcomes[0].is_valid(),
                    "{what}: {:?}",
                    outcomes[0].violations
                );
            }
            // postcard does not pass on the message of the limit that was hit.
            Err(Miss::Corrupt(why)) if !allowed => {
                assert!(why.starts_with("compiled set: "), "{what}: {why}")
            }
            other => panic!("{what}: {:?}", other.map(|_| "a set")),
        }
    }
}

/// A value nested as deep as the entry is long (lists of lists, two bytes a level): refused
/// on reading, before reading, comparing or dropping it could overflow the stack.
#[test]
fn nested_list_values_make_the_entry_damaged() {
    use crate::compile::ValueRule;
    use crate::datatypes::Value;
    let (_dir, _entry, _cache, good, key, _expected) = forge_setup("nested-lists");
    let marker = "MARKER-nest";
    let forged = forge(&good, &key, |s| {
        s.elements[0].value = Some(ValueRule {
            fixed: false,
            lexical: "x".into(),
            value: Some(Value::List(vec![Value::String(marker.into())])),
        });
    });
    // postcard: variant 12 (List), length 1, variant 0 (String), length, text.
    let mut list = vec![12u8, 1, 0, marker.len() as u8];
    list.extend_from_slice(marker.as_bytes());
    let with_items = |items: &[u8]| {
        reseal(&forged, |_, body| {
            let at = body.windows(list.len()).position(|w| w == list).unwrap();
            body.splice(at..at + list.len(), items.iter().copied());
        })
    };
    // One level, with no items: a list value as the compiler writes it.
    assert!(read_entry(&with_items(&[12, 0]), &key).is_ok());
    let mut nested = [12u8, 1].repeat(200_000);
    nested.extend_from_slice(&[12, 0]);
    match read_entry(&with_items(&nested), &key) {
        Err(Miss::Corrupt(why)) => assert!(why.starts_with("compiled set: "), "{why}"),
        other => panic!("{:?}", other.map(|_| "a set")),
    }
}

#[test]
fn values_as_parsing_gives_them_are_canonical() {
    let no_namespaces: Vec<(String, String)> = Vec::new();
    let cases = [
        (
            Builtin::Decimal,
            &["0", "-0.0", "007.50", "-.5", "12345678901234567890.1"][..],
        ),
        (Builtin::Integer, &["-0", "+42", "000"]),
        (
            Builtin::Duration,
            &["P1Y2M3DT4H5M6.70S", "-PT0.5S", "-P1D", "PT0S", "P13M"],
        ),
        (
            Builtin::DateTime,
            &["2024-02-29T24:00:00Z", "-0044-03-15T12:00:00.50+14:00"],
        ),
        (Builtin::Time, &["23:59:59.999", "00:00:00.000-01:30"]),
        (Builtin::Date, &["0001-01-01", "12345-12-31Z"]),
        (Builtin::GYearMonth, &["2024-02"]),
        (Builtin::GYear, &["-0001"]),
        (Builtin::GMonthDay, &["--02-29"]),
        (Builtin::GDay, &["---31Z"]),
        (Builtin::GMonth, &["--12"]),
    ];
    for (builtin, lexicals) in cases {
        for lexical in lexicals {
            let simple = crate::datatypes::SimpleType::builtin(builtin);
            let value = simple.parse(lexical, &no_namespaces).unwrap();
            assert_eq!(check::canonical(&value), Ok(()), "{builtin:?} {lexical}");
        }
    }
}

/// An enumeration written and read as a shared value.
#[derive(serde::Serialize, serde::Deserialize)]
struct Shared(
    #[serde(with = "crate::cache::shared")] std::sync::Arc<crate::datatypes::facet::Enumeration>,
);

#[test]
fn non_canonical_values_make_the_entry_damaged() {
    use crate::compile::ValueRule;
    use crate::datatypes::facet::Enumeration;
    use crate::datatypes::{DateTimeKind, DateTimeValue, Decimal, Duration, Value};
    let (_dir, _entry, _cache, good, key, _expected) = forge_setup("canonical");
    // Values whose fields parsing never gives (decoded from look-alike tuples: the fields of
    // decimals and durations are private).
    let decimal = |negative: bool, int: &str, frac: &str| -> Decimal {
        postcard::from_bytes(&postcard::to_allocvec(&(negative, int, frac)).unwrap()).unwrap()
    };
    let duration = |months: i128, seconds: i128, frac: &str| -> Duration {
        postcard::from_bytes(&postcard::to_allocvec(&(months, seconds, frac)).unwrap()).unwrap()
    };
    let date = |month: u8, day: u8, frac: &str| DateTimeValue {
        kind: DateTimeKind::Date,
        year: 2024,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        frac: frac.into(),
        tz: None,
    };
    assert_eq!(
        check::canonical(&Value::Decimal(decimal(true, "7", "5"))),
        Ok(())
    );
    assert_eq!(check::canonical(&Value::DateTime(date(2, 29, ""))), Ok(()));
    let bad = [
        Value::Decimal(decimal(false, "007", "")),
        Value::Decimal(decimal(false, "7", "50")),
        Value::Decimal(decimal(true, "", "")),
        Value::Decimal(decimal(false, "1x", "")),
        Value::Duration(duration(1, 0, "50")),
        Value::Duration(duration(0, 1, "x")),
        Value::DateTime(date(13, 1, "")),
        Value::DateTime(date(2, 30, "")),
        Value::List(vec![Value::Decimal(decimal(false, "01", ""))]),
    ];
    for value in bad {
        let what = format!("{value:?}");
        let forged = forge(&good, &key, |s| {
            s.elements[0].value = Some(ValueRule {
                fixed: true,
                lexical: "x".into(),
                value: Some(value.clone()),
            });
        });
        match read_entry(&forged, &key) {
            Err(Miss::Corrupt(why)) => assert!(why.contains("canonical"), "{what}: {why}"),
            other => panic!("{what}: {:?}", other.map(|_| "a set")),
        }
        // In an enumeration (checked while shared values are read).
        let enumeration = std::sync::Arc::new(Enumeration {
            values: vec![value],
            lexical: vec!["x".into()],
        });
        let bytes = shared::scoped(|| postcard::to_allocvec(&Shared(enumeration))).unwrap();
        let read = shared::scoped(|| postcard::from_bytes::<Shared>(&bytes));
        assert!(read.is_err(), "{what}");
    }
}
