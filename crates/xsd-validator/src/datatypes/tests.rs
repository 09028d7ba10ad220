//! Tests of the public simple-type API: built-in lexical spaces, facets, lists and unions.

use super::*;
use proptest::prelude::*;

struct Ns;
impl NamespaceContext for Ns {
    fn resolve(&self, prefix: &str) -> Option<&str> {
        match prefix {
            "p" => Some("urn:p"),
            _ => None,
        }
    }
}

fn bt(b: Builtin) -> Arc<SimpleType> {
    SimpleType::builtin(b)
}

fn spec(kind: FacetKind, value: &str) -> FacetSpec {
    FacetSpec::new(kind, value)
}

fn restrict(base: Builtin, facets: &[FacetSpec]) -> Result<SimpleType, DatatypeError> {
    SimpleType::restrict(&bt(base), facets, Some("T".into()))
}

fn rule_of(r: Result<SimpleType, DatatypeError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.rule,
    }
}

fn verdict(t: &SimpleType, s: &str) -> &'static str {
    match t.validate(s, &Ns) {
        Ok(()) => "ok",
        Err(e) => e.rule,
    }
}

#[test]
fn every_builtin_lexical_space() {
    use Builtin::*;
    let table: &[(Builtin, &[&str], &[&str])] = &[
        (AnySimpleType, &["", " anything "], &[]),
        (String, &["", " a\tb "], &[]),
        (NormalizedString, &[" a\tb "], &[]),
        (Token, &["  a   b  "], &[]),
        (Boolean, &[" true ", "0"], &["True", "2"]),
        (
            Decimal,
            &["-1.5", " 1 ", "123456789012345678901234567890.123456789"],
            &["1e3", "abc", ""],
        ),
        (
            Float,
            &["1e5", "INF", "-INF", "NaN", " 1.5 "],
            &["+INF", "1.0f"],
        ),
        (Double, &["-0", "1E-300"], &["one"]),
        (Duration, &["P1Y2M3DT10H30M", " -P1D "], &["P", "PT"]),
        (
            DateTime,
            &["2001-10-26T21:32:52.5+02:00"],
            &["2001-10-26", "0000-01-01T00:00:00"],
        ),
        (Time, &["21:32:52Z"], &["21:32"]),
        (Date, &["2000-02-29", "-0045-01-01"], &["1999-02-29"]),
        (GYearMonth, &["2001-10"], &["2001"]),
        (GYear, &["2001"], &["01"]),
        (GMonthDay, &["--02-29"], &["--02-30"]),
        (GDay, &["---01"], &["---00"]),
        (GMonth, &["--12"], &["--00"]),
        (HexBinary, &["0fB7"], &["0fB"]),
        (Base64Binary, &["QUJD", " QUJD "], &["QUJ"]),
        (AnyUri, &["http://example.com/x y"], &["http://%zz"]),
        (QName, &["p:x", "x"], &["q:x", "1x"]),
        (Notation, &["p:x"], &["q:x"]),
        (Language, &["de-DE"], &["de_DE"]),
        (NmToken, &["1abc", " x "], &["a b"]),
        (NmTokens, &["a b  c", "x"], &["", "   ", "a,b"]),
        (Name, &["a:b", "_x"], &["1x"]),
        (NcName, &["a.b-c"], &["a:b"]),
        (Id, &["id1"], &["1id"]),
        (IdRef, &["id1"], &["a b"]),
        (IdRefs, &["a b"], &["", "1"]),
        (Integer, &["-0012", "+5"], &["1.0", "1."]),
        (NonPositiveInteger, &["0", "-1"], &["1"]),
        (NegativeInteger, &["-1"], &["0"]),
        (Long, &["9223372036854775807"], &["9223372036854775808"]),
        (
            Int,
            &["-2147483648", "2147483647"],
            &["2147483648", "-2147483649"],
        ),
        (Short, &["32767"], &["32768"]),
        (Byte, &["-128"], &["-129"]),
        (NonNegativeInteger, &["0"], &["-1"]),
        (
            UnsignedLong,
            &["18446744073709551615"],
            &["18446744073709551616"],
        ),
        (UnsignedInt, &["4294967295"], &["4294967296"]),
        (UnsignedShort, &["65535"], &["65536"]),
        (UnsignedByte, &["255"], &["256", "-1"]),
        (PositiveInteger, &["1"], &["0"]),
    ];
    assert_eq!(
        table.len() + 2,
        Builtin::ALL.len(),
        "every built-in but ENTITY/ENTITIES"
    );
    for (b, valid, invalid) in table {
        let t = bt(*b);
        for s in *valid {
            assert_eq!(verdict(&t, s), "ok", "{b:?} {s:?}");
            assert!(t.parse(s, &Ns).is_ok(), "{b:?} {s:?}");
        }
        for s in *invalid {
            assert_ne!(verdict(&t, s), "ok", "{b:?} {s:?} should be invalid");
        }
    }
    // No DTD means no unparsed entities: ENTITY values are never valid in documents.
    assert_eq!(verdict(&bt(Entity), "e"), "cvc-datatype-valid.1.2.1");
    assert_eq!(verdict(&bt(Entities), "e f"), "cvc-datatype-valid.1.2.2");
}

#[test]
fn builtin_metadata() {
    let int = bt(Builtin::Int);
    assert_eq!(int.variety(), Variety::Atomic);
    assert_eq!(int.primitive(), Some(Builtin::Decimal));
    assert_eq!(int.whitespace(), WhiteSpace::Collapse);
    assert!(int.is_derived_from(&bt(Builtin::Integer)));
    assert!(!bt(Builtin::Integer).is_derived_from(&int));
    assert!(int.is_derived_from(&bt(Builtin::AnySimpleType)));
    assert_eq!(bt(Builtin::NmTokens).variety(), Variety::List);
    assert_eq!(bt(Builtin::String).whitespace(), WhiteSpace::Preserve);
    assert!(Arc::ptr_eq(&bt(Builtin::Int), &bt(Builtin::Int)));
    let e = bt(Builtin::Decimal).validate("abc", &Ns).unwrap_err();
    assert_eq!(e.message, "'abc' is not a valid xs:decimal");
}

#[test]
fn length_facets_count_characters_octets_and_items() {
    let t = restrict(Builtin::String, &[spec(FacetKind::MaxLength, "3")]).unwrap();
    assert_eq!(verdict(&t, "äöü"), "ok");
    assert_eq!(verdict(&t, "äöüß"), "cvc-maxLength-valid");
    let e = restrict(Builtin::String, &[spec(FacetKind::MaxLength, "10")])
        .unwrap()
        .validate("abcdefghijkl", &Ns)
        .unwrap_err();
    assert_eq!(e.message, "length 12 exceeds maxLength 10 (characters)");
    let t = restrict(Builtin::HexBinary, &[spec(FacetKind::Length, "2")]).unwrap();
    assert_eq!(verdict(&t, "0AFF"), "ok");
    assert_eq!(verdict(&t, "0A"), "cvc-length-valid");
    let t = restrict(Builtin::Base64Binary, &[spec(FacetKind::MinLength, "3")]).unwrap();
    assert_eq!(verdict(&t, "QUJD"), "ok");
    assert_eq!(verdict(&t, "QUI="), "cvc-minLength-valid");
    let list = Arc::new(SimpleType::list(&bt(Builtin::Int), None).unwrap());
    let t = SimpleType::restrict(&list, &[spec(FacetKind::Length, "2")], None).unwrap();
    assert_eq!(verdict(&t, " 1   2 "), "ok");
    assert_eq!(verdict(&t, "1 2 3"), "cvc-length-valid");
    assert_eq!(verdict(&t, "1 x"), "cvc-datatype-valid.1.2.2");
    // Whitespace is collapsed before the length is measured for token, not for string.
    let t = restrict(Builtin::Token, &[spec(FacetKind::MaxLength, "3")]).unwrap();
    assert_eq!(verdict(&t, "  a b  "), "ok");
}

#[test]
fn pattern_facets_or_within_a_step_and_across_steps() {
    let step1 = Arc::new(
        restrict(
            Builtin::String,
            &[
                spec(FacetKind::Pattern, "[a-c]+"),
                spec(FacetKind::Pattern, "[x-z]+"),
            ],
        )
        .unwrap(),
    );
    assert_eq!(verdict(&step1, "abc"), "ok");
    assert_eq!(verdict(&step1, "xyz"), "ok");
    assert_eq!(verdict(&step1, "ax"), "cvc-pattern-valid");
    let step2 = SimpleType::restrict(&step1, &[spec(FacetKind::Pattern, ".{2}")], None).unwrap();
    assert_eq!(verdict(&step2, "ab"), "ok");
    assert_eq!(verdict(&step2, "abc"), "cvc-pattern-valid");
    assert_eq!(
        rule_of(restrict(
            Builtin::String,
            &[spec(FacetKind::Pattern, "a{2,1}")]
        )),
        "pattern-valid-regex"
    );
    // Patterns see the normalised value.
    let t = restrict(Builtin::Token, &[spec(FacetKind::Pattern, "a b")]).unwrap();
    assert_eq!(verdict(&t, "  a \n b "), "ok");
}

#[test]
fn enumeration_compares_in_the_value_space() {
    let t = restrict(
        Builtin::Decimal,
        &[
            spec(FacetKind::Enumeration, "1.0"),
            spec(FacetKind::Enumeration, "2.5"),
        ],
    )
    .unwrap();
    assert_eq!(verdict(&t, "1"), "ok");
    assert_eq!(verdict(&t, "02.50"), "ok");
    assert_eq!(verdict(&t, "3"), "cvc-enumeration-valid");
    let t = restrict(
        Builtin::Token,
        &[
            spec(FacetKind::Enumeration, "A"),
            spec(FacetKind::Enumeration, "B"),
        ],
    )
    .unwrap();
    let e = t.validate("X", &Ns).unwrap_err();
    assert_eq!(e.message, "'X' is not one of: 'A', 'B'");
    assert_eq!(verdict(&t, " A "), "ok");
    let mut q = spec(FacetKind::Enumeration, "a:x");
    q.ns = vec![("a".into(), "urn:p".into())];
    let t = restrict(Builtin::QName, &[q]).unwrap();
    assert_eq!(verdict(&t, "p:x"), "ok");
    assert_eq!(verdict(&t, "x"), "cvc-enumeration-valid");
    assert_eq!(
        rule_of(restrict(Builtin::Int, &[spec(FacetKind::Enumeration, "x")])),
        "enumeration-valid-restriction"
    );
    let t = restrict(
        Builtin::DateTime,
        &[spec(FacetKind::Enumeration, "2000-01-01T12:00:00Z")],
    )
    .unwrap();
    assert_eq!(verdict(&t, "2000-01-01T13:00:00+01:00"), "ok");
    // Enumeration of a restriction must be valid against the base's enumeration.
    let base = Arc::new(
        restrict(
            Builtin::String,
            &[
                spec(FacetKind::Enumeration, "a"),
                spec(FacetKind::Enumeration, "b"),
            ],
        )
        .unwrap(),
    );
    assert_eq!(
        rule_of(SimpleType::restrict(
            &base,
            &[spec(FacetKind::Enumeration, "c")],
            None
        )),
        "enumeration-valid-restriction"
    );
    assert_eq!(
        rule_of(restrict(
            Builtin::Boolean,
            &[spec(FacetKind::Enumeration, "true")]
        )),
        "cos-applicable-facets"
    );
}

#[test]
fn bounds_and_digits() {
    let t = restrict(
        Builtin::Decimal,
        &[
            spec(FacetKind::MinExclusive, "0"),
            spec(FacetKind::MaxInclusive, "100.5"),
            spec(FacetKind::TotalDigits, "4"),
            spec(FacetKind::FractionDigits, "1"),
        ],
    )
    .unwrap();
    assert_eq!(verdict(&t, "100.5"), "ok");
    assert_eq!(verdict(&t, "0.1"), "ok");
    assert_eq!(verdict(&t, "0"), "cvc-minExclusive-valid");
    assert_eq!(verdict(&t, "100.6"), "cvc-maxInclusive-valid");
    assert_eq!(verdict(&t, "0.15"), "cvc-fractionDigits-valid");
    assert_eq!(verdict(&t, "99.50"), "ok");
    let t = restrict(Builtin::Decimal, &[spec(FacetKind::TotalDigits, "3")]).unwrap();
    assert_eq!(verdict(&t, "0.00123"), "ok");
    assert_eq!(verdict(&t, "1234"), "cvc-totalDigits-valid");
    let t = restrict(
        Builtin::Date,
        &[spec(FacetKind::MaxExclusive, "2000-01-01Z")],
    )
    .unwrap();
    assert_eq!(verdict(&t, "1999-12-31Z"), "ok");
    assert_eq!(verdict(&t, "2000-01-01Z"), "cvc-maxExclusive-valid");
    let t = restrict(Builtin::Duration, &[spec(FacetKind::MinInclusive, "P1M")]).unwrap();
    assert_eq!(verdict(&t, "P32D"), "ok");
    // P30D vs P1M is indeterminate, so it is not >= P1M.
    assert_eq!(verdict(&t, "P30D"), "cvc-minInclusive-valid");
    let t = restrict(Builtin::Double, &[spec(FacetKind::MaxInclusive, "1e3")]).unwrap();
    assert_eq!(verdict(&t, "INF"), "cvc-maxInclusive-valid");
    assert_eq!(verdict(&t, "NaN"), "cvc-maxInclusive-valid");
    assert_eq!(verdict(&t, "-INF"), "ok");
}

#[test]
fn restriction_consistency_rules() {
    use FacetKind::*;
    type Case<'a> = (Builtin, &'a [(FacetKind, &'a str)], &'a str);
    let cases: &[Case<'_>] = &[
        (
            Builtin::String,
            &[(MinLength, "5"), (MaxLength, "3")],
            "minLength-less-than-equal-to-maxLength",
        ),
        (
            Builtin::String,
            &[(Length, "5"), (MaxLength, "3")],
            "length-minLength-maxLength",
        ),
        (
            Builtin::String,
            &[(MaxLength, "3"), (MaxLength, "4")],
            "src-single-facet-value",
        ),
        (
            Builtin::String,
            &[(TotalDigits, "3")],
            "cos-applicable-facets",
        ),
        (
            Builtin::String,
            &[(MaxInclusive, "3")],
            "cos-applicable-facets",
        ),
        (Builtin::Date, &[(MaxLength, "3")], "cos-applicable-facets"),
        (
            Builtin::String,
            &[(MaxLength, "-1")],
            "cos-applicable-facets",
        ),
        (
            Builtin::Decimal,
            &[(TotalDigits, "0")],
            "cos-applicable-facets",
        ),
        (
            Builtin::Decimal,
            &[(MinInclusive, "5"), (MaxInclusive, "3")],
            "minInclusive-less-than-equal-to-maxInclusive",
        ),
        (
            Builtin::Decimal,
            &[(MinInclusive, "5"), (MaxExclusive, "5")],
            "minInclusive-less-than-maxExclusive",
        ),
        (
            Builtin::Decimal,
            &[(MinExclusive, "5"), (MaxInclusive, "5")],
            "minExclusive-less-than-maxInclusive",
        ),
        (
            Builtin::Decimal,
            &[(MinExclusive, "6"), (MaxExclusive, "5")],
            "minExclusive-less-than-equal-to-maxExclusive",
        ),
        (
            Builtin::Decimal,
            &[(MaxInclusive, "5"), (MaxExclusive, "6")],
            "maxInclusive-maxExclusive",
        ),
        (
            Builtin::Decimal,
            &[(MinInclusive, "5"), (MinExclusive, "6")],
            "minInclusive-minExclusive",
        ),
        (
            Builtin::Decimal,
            &[(TotalDigits, "2"), (FractionDigits, "3")],
            "fractionDigits-totalDigits",
        ),
        (
            Builtin::Decimal,
            &[(MaxInclusive, "abc")],
            "cvc-datatype-valid.1.2.1",
        ),
        (
            Builtin::Byte,
            &[(MaxInclusive, "200")],
            "cvc-datatype-valid.1.2.1",
        ),
        (Builtin::Integer, &[(FractionDigits, "2")], "fixed-facet"),
        (Builtin::Integer, &[(FractionDigits, "0")], "ok"),
        (Builtin::Int, &[(WhiteSpace, "preserve")], "fixed-facet"),
        (Builtin::Int, &[(WhiteSpace, "collapse")], "ok"),
        (
            Builtin::Token,
            &[(WhiteSpace, "replace")],
            "whiteSpace-valid-restriction",
        ),
        (Builtin::String, &[(WhiteSpace, "replace")], "ok"),
        (
            Builtin::String,
            &[(WhiteSpace, "squash")],
            "cos-applicable-facets",
        ),
        (Builtin::Boolean, &[(Pattern, "true|false")], "ok"),
    ];
    for (base, facets, expected) in cases {
        let specs: Vec<FacetSpec> = facets.iter().map(|(k, v)| spec(*k, v)).collect();
        assert_eq!(
            rule_of(restrict(*base, &specs)),
            *expected,
            "{base:?} {facets:?}"
        );
    }
}

#[test]
fn restrictions_cannot_widen_or_change_fixed_facets() {
    use FacetKind::*;
    let mut max10 = spec(MaxLength, "10");
    max10.fixed = true;
    let base = Arc::new(
        restrict(
            Builtin::String,
            &[max10, spec(MinLength, "2"), spec(Pattern, "[a-z]*")],
        )
        .unwrap(),
    );
    let r = |f: &[FacetSpec]| rule_of(SimpleType::restrict(&base, f, None));
    assert_eq!(r(&[spec(MaxLength, "10")]), "ok");
    assert_eq!(r(&[spec(MaxLength, "8")]), "fixed-facet");
    assert_eq!(r(&[spec(MinLength, "1")]), "minLength-valid-restriction");
    assert_eq!(
        r(&[spec(MinLength, "11")]),
        "minLength-less-than-equal-to-maxLength"
    );
    assert_eq!(r(&[spec(Length, "11")]), "length-minLength-maxLength");
    let derived = SimpleType::restrict(&base, &[spec(MinLength, "3")], None).unwrap();
    assert_eq!(verdict(&derived, "ab"), "cvc-minLength-valid");
    assert_eq!(verdict(&derived, "abc"), "ok");
    assert_eq!(verdict(&derived, "ABC"), "cvc-pattern-valid");

    let len = Arc::new(restrict(Builtin::String, &[spec(Length, "4")]).unwrap());
    assert_eq!(
        rule_of(SimpleType::restrict(&len, &[spec(Length, "5")], None)),
        "length-valid-restriction"
    );
    let max = Arc::new(restrict(Builtin::String, &[spec(MaxLength, "5")]).unwrap());
    assert_eq!(
        rule_of(SimpleType::restrict(&max, &[spec(MaxLength, "6")], None)),
        "maxLength-valid-restriction"
    );
    let td = Arc::new(restrict(Builtin::Decimal, &[spec(TotalDigits, "5")]).unwrap());
    assert_eq!(
        rule_of(SimpleType::restrict(&td, &[spec(TotalDigits, "6")], None)),
        "totalDigits-valid-restriction"
    );
    let bounded = Arc::new(
        restrict(
            Builtin::Int,
            &[spec(MinInclusive, "0"), spec(MaxExclusive, "100")],
        )
        .unwrap(),
    );
    let rb = |f: &[FacetSpec]| rule_of(SimpleType::restrict(&bounded, f, None));
    assert_eq!(rb(&[spec(MaxInclusive, "99")]), "ok");
    assert_eq!(
        rb(&[spec(MaxInclusive, "100")]),
        "maxInclusive-valid-restriction"
    );
    assert_eq!(rb(&[spec(MaxExclusive, "100")]), "ok");
    assert_eq!(
        rb(&[spec(MaxExclusive, "101")]),
        "maxExclusive-valid-restriction"
    );
    assert_eq!(
        rb(&[spec(MinInclusive, "-1")]),
        "minInclusive-valid-restriction"
    );
    assert_eq!(
        rb(&[spec(MinExclusive, "-1")]),
        "minExclusive-valid-restriction"
    );
    assert_eq!(rb(&[spec(MinExclusive, "0")]), "ok");
    assert_eq!(
        rb(&[spec(MinInclusive, "100")]),
        "minInclusive-valid-restriction"
    );
    let derived = SimpleType::restrict(&bounded, &[spec(MaxInclusive, "50")], None).unwrap();
    assert_eq!(verdict(&derived, "51"), "cvc-maxInclusive-valid");
    assert_eq!(verdict(&derived, "-1"), "cvc-minInclusive-valid");
    assert!(derived.is_derived_from(&bounded));
    assert!(derived.is_derived_from(&bt(Builtin::Int)));
    assert!(!derived.is_derived_from(&bt(Builtin::Short)));
}

#[test]
fn lists_and_unions() {
    let int_list = Arc::new(SimpleType::list(&bt(Builtin::Int), Some("L".into())).unwrap());
    assert_eq!(
        rule_of(SimpleType::list(&int_list, None)),
        "cos-list-of-atomic"
    );
    assert_eq!(
        int_list.parse("1 2", &Ns).unwrap(),
        int_list.parse(" 01\n+2 ", &Ns).unwrap()
    );
    let u = Arc::new(
        SimpleType::union(&[bt(Builtin::Int), bt(Builtin::Date)], Some("U".into())).unwrap(),
    );
    assert_eq!(verdict(&u, " 5 "), "ok");
    assert_eq!(verdict(&u, "2000-01-01"), "ok");
    assert_eq!(verdict(&u, "x"), "cvc-datatype-valid.1.2.3");
    assert!(matches!(u.parse("5", &Ns).unwrap(), Value::Decimal(_)));
    let e = SimpleType::restrict(
        &u,
        &[
            spec(FacetKind::Enumeration, "5"),
            spec(FacetKind::Enumeration, "2000-01-01"),
        ],
        None,
    )
    .unwrap();
    assert_eq!(verdict(&e, "05"), "ok");
    assert_eq!(verdict(&e, "6"), "cvc-enumeration-valid");
    assert_eq!(
        rule_of(SimpleType::restrict(
            &u,
            &[spec(FacetKind::MaxLength, "2")],
            None
        )),
        "cos-applicable-facets"
    );
    assert!(bt(Builtin::Int).is_validly_derived_from(&u));
    assert!(!bt(Builtin::String).is_validly_derived_from(&u));
    assert_eq!(
        rule_of(SimpleType::list(
            &Arc::new(SimpleType::union(&[int_list], None).unwrap()),
            None
        )),
        "cos-list-of-atomic"
    );
    assert_eq!(
        rule_of(SimpleType::union(&[], None)),
        "src-union-memberTypes-or-simpleTypes"
    );
}

#[test]
fn whitespace_normalisation() {
    assert_eq!(
        normalize_whitespace(" a\t\nb  c ", WhiteSpace::Collapse),
        "a b c"
    );
    assert_eq!(normalize_whitespace(" a\tb", WhiteSpace::Replace), " a b");
    assert!(matches!(
        normalize_whitespace("a b", WhiteSpace::Collapse),
        Cow::Borrowed(_)
    ));
    assert!(matches!(
        normalize_whitespace("a\tb", WhiteSpace::Preserve),
        Cow::Borrowed(_)
    ));
    // The one-pass collapsed check, against the definition.
    for s in [
        "", " ", "a", " a", "a ", "a  b", "a b c", "a\u{a0}b", "ä ö", "\ta", "  ",
    ] {
        let expected = s
            .split([' ', '\t', '\n', '\r'])
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            normalize_whitespace(s, WhiteSpace::Collapse),
            expected,
            "{s:?}"
        );
        assert_eq!(
            matches!(
                normalize_whitespace(s, WhiteSpace::Collapse),
                Cow::Borrowed(_)
            ),
            expected == s,
            "{s:?}"
        );
    }
}

proptest! {
    #[test]
    fn collapse_is_idempotent(s in "[ \t\r\na-c]{0,20}") {
        let once = normalize_whitespace(&s, WhiteSpace::Collapse).into_owned();
        let twice = normalize_whitespace(&once, WhiteSpace::Collapse);
        prop_assert_eq!(&once, &*twice);
        prop_assert!(matches!(twice, Cow::Borrowed(_)));
        prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
    }

    #[test]
    fn integer_ranges_match_rust_types(v in any::<i64>()) {
        let s = v.to_string();
        let check = |b: Builtin, fits: bool| {
            let ok = SimpleType::builtin(b).validate(&s, &NoNamespaces).is_ok();
            assert_eq!(ok, fits, "{b:?} {s}");
        };
        check(Builtin::Long, true);
        check(Builtin::Int, i32::try_from(v).is_ok());
        check(Builtin::Short, i16::try_from(v).is_ok());
        check(Builtin::Byte, i8::try_from(v).is_ok());
        check(Builtin::UnsignedLong, u64::try_from(v).is_ok());
        check(Builtin::UnsignedInt, u32::try_from(v).is_ok());
        check(Builtin::UnsignedShort, u16::try_from(v).is_ok());
        check(Builtin::UnsignedByte, u8::try_from(v).is_ok());
        check(Builtin::PositiveInteger, v > 0);
        check(Builtin::NegativeInteger, v < 0);
    }

    #[test]
    fn arbitrary_input_never_panics(s in "\\PC{0,30}") {
        for b in Builtin::ALL {
            let t = SimpleType::builtin(b);
            let _ = t.validate(&s, &Ns);
            let _ = t.parse(&s, &Ns);
        }
        let _ = Pattern::new(&s);
    }

    #[test]
    fn decimal_bounds_agree_with_i128(v in -100_000i64..100_000, lo in -1000i64..1000, hi in -1000i64..1000) {
        prop_assume!(lo <= hi);
        // Values in hundredths, written as decimals ("-3.5" is hi = -4 plus one half).
        let hundredths = |h: i64| format!("{}{}.{:02}", if h < 0 { "-" } else { "" }, (h / 100).abs(), (h % 100).abs());
        let t = SimpleType::restrict(
            &SimpleType::builtin(Builtin::Decimal),
            &[
                FacetSpec::new(FacetKind::MinInclusive, hundredths(lo * 100)),
                FacetSpec::new(FacetKind::MaxExclusive, hundredths(hi * 100 + 50)),
            ],
            None,
        ).unwrap();
        let lexical = hundredths(v);
        let expected = v >= lo * 100 && v < hi * 100 + 50;
        prop_assert_eq!(t.validate(&lexical, &NoNamespaces).is_ok(), expected, "{}", lexical);
    }
}

proptest! {
    /// `validate` takes a shortcut for strings restricted by length and pattern only;
    /// `parse` (which builds the value) takes the general path. They agree on every literal.
    #[test]
    fn string_shortcut_agrees_with_the_general_path(s in "[a-dä \\t\\n]{0,8}") {
        let t = restrict(
            Builtin::String,
            &[
                spec(FacetKind::WhiteSpace, "collapse"),
                spec(FacetKind::MaxLength, "4"),
                spec(FacetKind::Pattern, "[a-cä ]*"),
            ],
        )
        .unwrap();
        let shortcut = t.validate(&s, &Ns).map_err(|e| e.rule);
        let general = t.parse(&s, &Ns).map(|_| ()).map_err(|e| e.rule);
        prop_assert_eq!(shortcut, general);
    }
}

proptest! {
    /// The same for normalizedString, token and boolean (codes and flags), restricted by
    /// length and pattern or not at all; short values without whitespace skip normalization.
    #[test]
    fn token_and_boolean_shortcut_agrees_with_the_general_path(
        s in "[a-c01 \\t\\n]{0,6}|(true|false|0|1)|[ \\t]{0,2}(true|false|0|1|tru)[ \\n]{0,2}|[a-z \\t]{14,20}"
    ) {
        let types = [
            bt(Builtin::NormalizedString),
            bt(Builtin::Token),
            bt(Builtin::Boolean),
            Arc::new(
                restrict(
                    Builtin::Token,
                    &[spec(FacetKind::MaxLength, "3"), spec(FacetKind::Pattern, "[a-c0 ]*")],
                )
                .unwrap(),
            ),
            Arc::new(restrict(Builtin::NormalizedString, &[spec(FacetKind::MinLength, "2")]).unwrap()),
            Arc::new(restrict(Builtin::Boolean, &[spec(FacetKind::Pattern, "true|0")]).unwrap()),
        ];
        for t in &types {
            let shortcut = t.validate(&s, &Ns).map_err(|e| (e.rule, e.message));
            let general = t.parse(&s, &Ns).map(|_| ()).map_err(|e| (e.rule, e.message));
            prop_assert_eq!(shortcut, general, "{:?}", t.name());
        }
    }
}

proptest! {
    /// The word-wise test for bytes below a limit agrees with a byte loop at every length
    /// (the short, four-byte and overlapping eight-byte cases).
    #[test]
    fn byte_below_test_agrees_with_a_byte_loop(
        bytes in proptest::collection::vec(prop_oneof![Just(b' '), Just(b'\t'), Just(b'!'), Just(0x1F_u8), Just(0x20_u8), Just(0x21_u8), Just(b'a'), Just(0xC3_u8), Just(0x80_u8), Just(0xFF_u8)], 0..20),
        limit in prop_oneof![Just(0x20_u8), Just(0x21_u8)],
    ) {
        let expected = bytes.iter().any(|&b| b < limit);
        prop_assert_eq!(has_byte_below(&bytes, limit), expected, "{:?}", bytes);
    }
}
