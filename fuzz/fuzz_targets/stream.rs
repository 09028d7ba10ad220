//! The streamed reader against the slice reader: arbitrary bytes (the first one choosing a
//! window of 1-32 bytes) must give the same events, positions, element paths and errors
//! whether the document is read whole or window by window.
//!
//! One known difference is tolerated: when a document has a token over a limit and another
//! error further on (broken UTF-8 after a 1 KiB unterminated reference), a stream reports the
//! limit as soon as the token outgrows it, while a slice may report the other error first.
//! Both refuse the document; the events before the error are the same.
#![no_main]

use std::ops::ControlFlow;

use libfuzzer_sys::fuzz_target;
use xsd_validator::reader::{Event, EventStream, Limits, Reader, StreamError};

fn describe(reader: &Reader<'_>, event: Event<'_>) -> String {
    let at = format!(
        "at {:?} {} depth {}",
        reader.position(),
        reader.element_path(),
        reader.depth()
    );
    match event {
        // An attribute's raw offset is private and window-relative in a stream; its public
        // form is `attribute_position`.
        Event::Start(tag) => {
            let attributes: Vec<String> = tag
                .attributes()
                .iter()
                .map(|a| {
                    let position = reader.attribute_position(a);
                    format!("{:?}={:?}@{position:?}", a.name, a.value)
                })
                .collect();
            let declarations: Vec<String> = tag
                .namespace_declarations()
                .map(|d| format!("{d:?}"))
                .collect();
            format!(
                "Start {:?} {attributes:?} {declarations:?} empty {} {at}",
                tag.name(),
                tag.is_empty_element()
            )
        }
        other => format!("{other:?} {at}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, document)) = data.split_first() else {
        return;
    };
    let window = usize::from(first % 32) + 1;

    let mut whole = Vec::new();
    let mut reader = Reader::from_slice(document, Limits::default());
    let whole_end = loop {
        match reader.advance_event() {
            Ok(()) => {
                let event = reader.current_event();
                let eof = matches!(event, Event::Eof);
                whole.push(describe(&reader, event));
                if eof {
                    break None;
                }
            }
            Err(error) => break Some((error.to_string(), error.kind.rule())),
        }
    };

    let mut streamed = Vec::new();
    let stream_end = EventStream::with_window(document, Limits::default(), window)
        .for_each_event(|reader, event| {
            streamed.push(describe(reader, event));
            ControlFlow::Continue(())
        })
        .err()
        .map(|error| match error {
            StreamError::Xml(error) => (error.to_string(), error.kind.rule()),
            other => panic!("reading a slice cannot fail: {other}"),
        });

    assert_eq!(whole, streamed, "window {window}");
    match (&whole_end, &stream_end) {
        (Some((_, whole_rule)), Some((_, stream_rule)))
            if whole_rule.starts_with("xml-limit.") || stream_rule.starts_with("xml-limit.") => {}
        _ => assert_eq!(whole_end, stream_end, "window {window}"),
    }
});
