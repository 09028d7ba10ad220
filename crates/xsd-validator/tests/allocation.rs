//! Validation of a valid document allocates a bounded amount, independent of its length
//! (no allocation per event): counted with a counting global allocator. Streamed validation
//! also allocates nothing per window, and no buffer that grows with the document.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use xsd_validator::schema::load_from_memory;
use xsd_validator::{SchemaSet, ValidationOptions};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
/// The largest allocation (or reallocation) since it was last reset, in bytes.
static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The counters are global: tests that read them run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

const SCHEMA: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns="urn:a" targetNamespace="urn:a" elementFormDefault="qualified">
  <xs:simpleType name="plz"><xs:restriction base="xs:string"><xs:pattern value="[0-9]{5}"/></xs:restriction></xs:simpleType>
  <xs:complexType name="code">
    <xs:sequence><xs:element name="code" type="xs:token"/><xs:element name="name" type="xs:string" minOccurs="0"/></xs:sequence>
    <xs:attribute name="listURI" type="xs:anyURI"/>
    <xs:attribute name="listVersionID" type="xs:normalizedString" fixed="1"/>
  </xs:complexType>
  <xs:element name="root">
    <xs:complexType><xs:sequence>
      <xs:element name="item" maxOccurs="unbounded">
        <xs:complexType><xs:sequence>
          <xs:element name="plz" type="plz"/>
          <xs:element name="date" type="xs:date"/>
          <xs:element name="amount" type="xs:decimal"/>
          <xs:element name="kind" type="code"/>
        </xs:sequence><xs:attribute name="n" type="xs:int" use="required"/></xs:complexType>
      </xs:element>
    </xs:sequence></xs:complexType>
  </xs:element>
</xs:schema>"#;

fn document(items: usize) -> String {
    let mut doc = String::from(r#"<?xml version="1.0"?><root xmlns="urn:a">"#);
    for i in 0..items {
        doc.push_str(&format!(
            "\n  <item n=\"{i}\"><plz>12345</plz><date>2024-02-29</date><amount>12.50</amount>\
             <kind listURI=\"urn:x\" listVersionID=\"1\"><code>A</code><name>Alpha &amp; Omega</name></kind></item>"
        ));
    }
    doc.push_str("\n</root>");
    doc
}

fn allocations(set: &SchemaSet, doc: &str) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let outcome = set.validate(doc.as_bytes(), &ValidationOptions::default());
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert!(outcome.is_valid(), "{:?}", outcome.violations);
    after - before
}

/// Allocations of [`SchemaSet::validate_read`] over `doc`, and the largest single allocation.
fn streamed_allocations(set: &SchemaSet, doc: &str) -> (usize, usize) {
    let mut input = doc.as_bytes();
    LARGEST.store(0, Ordering::Relaxed);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let outcome = set.validate_read(&mut input, &ValidationOptions::default());
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    match outcome {
        Ok(outcome) => assert!(outcome.is_valid(), "{:?}", outcome.violations),
        Err(e) => panic!("{e}"),
    }
    (after - before, LARGEST.load(Ordering::Relaxed))
}

#[test]
fn allocations_do_not_grow_with_document_length() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let model = load_from_memory(&["a.xsd"], &[("a.xsd", SCHEMA)], None)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let set = SchemaSet::from_model(model).unwrap_or_else(|e| panic!("{e:?}"));
    let small = document(10);
    let large = document(2000);
    // Warm up lazily initialised statics (built-in types).
    allocations(&set, &small);
    let a = allocations(&set, &small);
    let b = allocations(&set, &large);
    eprintln!("allocations: {a} for 10 items, {b} for 2000 items");
    // Buffers may grow a few more times for a longer document, but not per element.
    assert!(b <= a + 16, "{a} allocations for 10 items, {b} for 2000");
}

#[test]
fn streamed_allocations_do_not_grow_with_document_length() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let model = load_from_memory(&["a.xsd"], &[("a.xsd", SCHEMA)], None)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let set = SchemaSet::from_model(model).unwrap_or_else(|e| panic!("{e:?}"));
    // About 0.7 and 2.8 MB: some 11 and 44 windows of 64 KiB. Buffers grow while the first
    // windows are read; after that nothing is allocated per window or per element.
    let medium = document(4000);
    let large = document(16000);
    streamed_allocations(&set, &medium);
    let (a, _) = streamed_allocations(&set, &medium);
    let (b, largest) = streamed_allocations(&set, &large);
    eprintln!(
        "streamed allocations: {a} for 4000 items, {b} for 16000 items ({} bytes); largest {largest} bytes",
        large.len()
    );
    assert!(b <= a + 8, "{a} allocations for 4000 items, {b} for 16000");
    // The window buffer (64 KiB plus the part of a token carried over) is the largest
    // allocation; nothing is the size of the document.
    assert!(
        largest <= 256 << 10 && largest < large.len() / 8,
        "an allocation of {largest} bytes for a document of {}",
        large.len()
    );
}
