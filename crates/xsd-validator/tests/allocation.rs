//! Validation of a valid document allocates a bounded amount, independent of its length
//! (no allocation per event): counted with a counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use xsd_validator::schema::load_from_memory;
use xsd_validator::{SchemaSet, ValidationOptions};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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

#[test]
fn allocations_do_not_grow_with_document_length() {
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
