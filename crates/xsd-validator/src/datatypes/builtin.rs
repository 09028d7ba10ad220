//! The built-in datatypes of XSD 1.0 Part 2: names, derivation hierarchy and the lexical
//! constraints that derived built-ins add to their base.

use super::decimal::DecimalRef;
use super::xml_char;
use super::WhiteSpace;

/// Every XSD 1.0 built-in simple type (XSD 1.0 has no anyAtomicType).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[non_exhaustive]
pub enum Builtin {
    AnySimpleType,
    String,
    Boolean,
    Decimal,
    Float,
    Double,
    Duration,
    DateTime,
    Time,
    Date,
    GYearMonth,
    GYear,
    GMonthDay,
    GDay,
    GMonth,
    HexBinary,
    Base64Binary,
    AnyUri,
    QName,
    Notation,
    NormalizedString,
    Token,
    Language,
    NmToken,
    NmTokens,
    Name,
    NcName,
    Id,
    IdRef,
    IdRefs,
    Entity,
    Entities,
    Integer,
    NonPositiveInteger,
    NegativeInteger,
    Long,
    Int,
    Short,
    Byte,
    NonNegativeInteger,
    UnsignedLong,
    UnsignedInt,
    UnsignedShort,
    UnsignedByte,
    PositiveInteger,
}

impl Builtin {
    pub const ALL: [Builtin; 45] = [
        Builtin::AnySimpleType,
        Builtin::String,
        Builtin::Boolean,
        Builtin::Decimal,
        Builtin::Float,
        Builtin::Double,
        Builtin::Duration,
        Builtin::DateTime,
        Builtin::Time,
        Builtin::Date,
        Builtin::GYearMonth,
        Builtin::GYear,
        Builtin::GMonthDay,
        Builtin::GDay,
        Builtin::GMonth,
        Builtin::HexBinary,
        Builtin::Base64Binary,
        Builtin::AnyUri,
        Builtin::QName,
        Builtin::Notation,
        Builtin::NormalizedString,
        Builtin::Token,
        Builtin::Language,
        Builtin::NmToken,
        Builtin::NmTokens,
        Builtin::Name,
        Builtin::NcName,
        Builtin::Id,
        Builtin::IdRef,
        Builtin::IdRefs,
        Builtin::Entity,
        Builtin::Entities,
        Builtin::Integer,
        Builtin::NonPositiveInteger,
        Builtin::NegativeInteger,
        Builtin::Long,
        Builtin::Int,
        Builtin::Short,
        Builtin::Byte,
        Builtin::NonNegativeInteger,
        Builtin::UnsignedLong,
        Builtin::UnsignedInt,
        Builtin::UnsignedShort,
        Builtin::UnsignedByte,
        Builtin::PositiveInteger,
    ];

    /// The built-in named `name` in the XML Schema namespace.
    pub fn from_local_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.local_name() == name)
    }

    pub fn local_name(self) -> &'static str {
        match self {
            Builtin::AnySimpleType => "anySimpleType",
            Builtin::String => "string",
            Builtin::Boolean => "boolean",
            Builtin::Decimal => "decimal",
            Builtin::Float => "float",
            Builtin::Double => "double",
            Builtin::Duration => "duration",
            Builtin::DateTime => "dateTime",
            Builtin::Time => "time",
            Builtin::Date => "date",
            Builtin::GYearMonth => "gYearMonth",
            Builtin::GYear => "gYear",
            Builtin::GMonthDay => "gMonthDay",
            Builtin::GDay => "gDay",
            Builtin::GMonth => "gMonth",
            Builtin::HexBinary => "hexBinary",
            Builtin::Base64Binary => "base64Binary",
            Builtin::AnyUri => "anyURI",
            Builtin::QName => "QName",
            Builtin::Notation => "NOTATION",
            Builtin::NormalizedString => "normalizedString",
            Builtin::Token => "token",
            Builtin::Language => "language",
            Builtin::NmToken => "NMTOKEN",
            Builtin::NmTokens => "NMTOKENS",
            Builtin::Name => "Name",
            Builtin::NcName => "NCName",
            Builtin::Id => "ID",
            Builtin::IdRef => "IDREF",
            Builtin::IdRefs => "IDREFS",
            Builtin::Entity => "ENTITY",
            Builtin::Entities => "ENTITIES",
            Builtin::Integer => "integer",
            Builtin::NonPositiveInteger => "nonPositiveInteger",
            Builtin::NegativeInteger => "negativeInteger",
            Builtin::Long => "long",
            Builtin::Int => "int",
            Builtin::Short => "short",
            Builtin::Byte => "byte",
            Builtin::NonNegativeInteger => "nonNegativeInteger",
            Builtin::UnsignedLong => "unsignedLong",
            Builtin::UnsignedInt => "unsignedInt",
            Builtin::UnsignedShort => "unsignedShort",
            Builtin::UnsignedByte => "unsignedByte",
            Builtin::PositiveInteger => "positiveInteger",
        }
    }

    /// The base type in the built-in hierarchy; `None` for anySimpleType (whose base is the
    /// complex ur-type). The list built-ins have anySimpleType as base.
    pub fn base(self) -> Option<Builtin> {
        use Builtin::*;
        Some(match self {
            AnySimpleType => return None,
            NormalizedString => String,
            Token => NormalizedString,
            Language | NmToken | Name => Token,
            NcName => Name,
            Id | IdRef | Entity => NcName,
            Integer => Decimal,
            NonPositiveInteger | Long | NonNegativeInteger => Integer,
            NegativeInteger => NonPositiveInteger,
            Int => Long,
            Short => Int,
            Byte => Short,
            UnsignedLong | PositiveInteger => NonNegativeInteger,
            UnsignedInt => UnsignedLong,
            UnsignedShort => UnsignedInt,
            UnsignedByte => UnsignedShort,
            _ => AnySimpleType,
        })
    }

    /// The primitive type this built-in derives from; a primitive returns itself. The list
    /// built-ins and anySimpleType have no primitive and return anySimpleType.
    pub fn primitive(self) -> Builtin {
        if self.is_list() {
            return Builtin::AnySimpleType;
        }
        let mut b = self;
        while let Some(base) = b.base() {
            if base == Builtin::AnySimpleType {
                return b;
            }
            b = base;
        }
        b
    }

    pub fn is_primitive(self) -> bool {
        self.base() == Some(Builtin::AnySimpleType) && !self.is_list()
    }

    pub fn is_list(self) -> bool {
        matches!(
            self,
            Builtin::NmTokens | Builtin::IdRefs | Builtin::Entities
        )
    }

    /// The item type of the list built-ins.
    pub fn list_item(self) -> Option<Builtin> {
        match self {
            Builtin::NmTokens => Some(Builtin::NmToken),
            Builtin::IdRefs => Some(Builtin::IdRef),
            Builtin::Entities => Some(Builtin::Entity),
            _ => None,
        }
    }

    /// Whether `self` is `other` or derived from it within the built-in hierarchy.
    pub fn is_derived_from(self, other: Builtin) -> bool {
        let mut b = Some(self);
        while let Some(x) = b {
            if x == other {
                return true;
            }
            b = x.base();
        }
        false
    }

    pub(crate) fn whitespace(self) -> WhiteSpace {
        match self {
            Builtin::AnySimpleType | Builtin::String => WhiteSpace::Preserve,
            Builtin::NormalizedString => WhiteSpace::Replace,
            _ => WhiteSpace::Collapse,
        }
    }

    /// Inclusive value range of the bounded integer built-ins.
    pub(crate) fn integer_range(self) -> (Option<&'static str>, Option<&'static str>) {
        match self {
            Builtin::NonPositiveInteger => (None, Some("0")),
            Builtin::NegativeInteger => (None, Some("-1")),
            Builtin::Long => (Some("-9223372036854775808"), Some("9223372036854775807")),
            Builtin::Int => (Some("-2147483648"), Some("2147483647")),
            Builtin::Short => (Some("-32768"), Some("32767")),
            Builtin::Byte => (Some("-128"), Some("127")),
            Builtin::NonNegativeInteger => (Some("0"), None),
            Builtin::UnsignedLong => (Some("0"), Some("18446744073709551615")),
            Builtin::UnsignedInt => (Some("0"), Some("4294967295")),
            Builtin::UnsignedShort => (Some("0"), Some("65535")),
            Builtin::UnsignedByte => (Some("0"), Some("255")),
            Builtin::PositiveInteger => (Some("1"), None),
            _ => (None, None),
        }
    }

    /// Checks what the derived built-in adds beyond its primitive's lexical space, on the
    /// whitespace-normalised literal: name productions, language tags, integer syntax and range.
    pub(crate) fn check_derived(self, s: &str) -> bool {
        use Builtin::*;
        match self {
            Token => is_token(s),
            Language => is_language(s),
            NmToken => xml_char::is_nmtoken(s),
            Name => xml_char::is_name(s),
            NcName | Id | IdRef | Entity => xml_char::is_ncname(s),
            Integer | NonPositiveInteger | NegativeInteger | Long | Int | Short | Byte
            | NonNegativeInteger | UnsignedLong | UnsignedInt | UnsignedShort | UnsignedByte
            | PositiveInteger => {
                let Some(v) = DecimalRef::parse_integer(s) else {
                    return false;
                };
                let (min, max) = self.integer_range();
                let below = min
                    .and_then(DecimalRef::parse_integer)
                    .is_some_and(|m| v < m);
                let above = max
                    .and_then(DecimalRef::parse_integer)
                    .is_some_and(|m| v > m);
                !below && !above
            }
            _ => true,
        }
    }
}

/// A token has no leading, trailing or double spaces and no tab/CR/LF (guaranteed after
/// collapse, checked again for values given unnormalised, e.g. facet values).
fn is_token(s: &str) -> bool {
    !s.starts_with(' ') && !s.ends_with(' ') && !s.contains("  ") && !s.contains(['\t', '\n', '\r'])
}

/// `[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*` (XSD 1.0 errata pattern for xs:language).
fn is_language(s: &str) -> bool {
    let mut parts = s.split('-');
    let Some(first) = parts.next() else {
        return false;
    };
    let ok_len = |p: &str| (1..=8).contains(&p.len());
    ok_len(first)
        && first.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| ok_len(p) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_hierarchy() {
        for b in Builtin::ALL {
            assert_eq!(Builtin::from_local_name(b.local_name()), Some(b));
        }
        assert_eq!(Builtin::from_local_name("anyAtomicType"), None);
        assert_eq!(Builtin::Byte.primitive(), Builtin::Decimal);
        assert_eq!(Builtin::Id.primitive(), Builtin::String);
        assert_eq!(Builtin::Date.primitive(), Builtin::Date);
        assert_eq!(Builtin::IdRefs.primitive(), Builtin::AnySimpleType);
        assert!(Builtin::UnsignedByte.is_derived_from(Builtin::Integer));
        assert!(!Builtin::Integer.is_derived_from(Builtin::Int));
        assert!(Builtin::Decimal.is_primitive() && !Builtin::Token.is_primitive());
    }

    #[test]
    fn derived_lexical_constraints() {
        let t: &[(Builtin, &[&str], &[&str])] = &[
            (
                Builtin::Language,
                &["de", "de-DE", "x-klingon", "en-US-1994"],
                &["", "de_DE", "123", "abcdefghi", "de-"],
            ),
            (Builtin::Token, &["a b", ""], &[" a", "a ", "a  b", "a\tb"]),
            (
                Builtin::Byte,
                &["-128", "127", "+0", "007"],
                &["128", "-129", "1.0", "", "1e2"],
            ),
            (
                Builtin::UnsignedLong,
                &["18446744073709551615", "0", "-0"],
                &["18446744073709551616", "-1"],
            ),
            (
                Builtin::Long,
                &["-9223372036854775808"],
                &["-9223372036854775809", "9223372036854775808"],
            ),
            (
                Builtin::PositiveInteger,
                &["1", "99999999999999999999999999999"],
                &["0", "-1"],
            ),
            (Builtin::NegativeInteger, &["-1"], &["0", "-0"]),
            (Builtin::NonPositiveInteger, &["0", "-0", "-5"], &["1"]),
            (
                Builtin::Integer,
                &["123456789012345678901234567890"],
                &["1.5", "a"],
            ),
        ];
        for (b, ok, bad) in t {
            for s in *ok {
                assert!(b.check_derived(s), "{b:?} {s:?}");
            }
            for s in *bad {
                assert!(!b.check_derived(s), "{b:?} {s:?} should fail");
            }
        }
    }
}
