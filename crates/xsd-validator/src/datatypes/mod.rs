//! XSD 1.0 simple types (XML Schema Part 2) as a pure library: built-ins, restriction by
//! facets, lists and unions, validation of literals and their typed values.
//!
//! **API Boundary**: the schema compiler builds [`SimpleType`]s with [`SimpleType::restrict`],
//! [`SimpleType::list`] and [`SimpleType::union`]; the validator calls
//! [`SimpleType::validate`] (fast path) or [`SimpleType::parse`] (typed [`Value`]).
//!
//! **Architecture Invariant**: a `SimpleType` is immutable once built and holds its effective
//! facets (inherited plus its own), so validation never walks the base chain; patterns are
//! compiled once when the type is built.

mod builtin;
mod datetime;
mod decimal;
mod duration;
pub(crate) mod facet;
pub(crate) mod pattern;
mod unicode_blocks;
mod value;
pub(crate) mod weight;
mod xml_char;

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

pub use builtin::Builtin;
pub use datetime::{DateTimeKind, DateTimeValue};
pub use decimal::{Decimal, DecimalRef};
pub use duration::Duration;
/// The HIR of one XSD pattern, for tools that walk it (the instance generator).
pub use pattern::translate as translate_pattern;
pub use pattern::{Pattern, PatternError};
pub use value::Value;

use facet::{applicable, facet_name, parse_count, truncate, Bound, FacetClass, Facets, Fixable};
use value::Atom;

/// Resolves namespace prefixes in scope for a QName/NOTATION literal. `""` is the default
/// namespace; `None` means the prefix is not declared.
pub trait NamespaceContext {
    fn resolve(&self, prefix: &str) -> Option<&str>;
}

/// In-scope declarations as (prefix, namespace) pairs, innermost last.
impl NamespaceContext for Vec<(String, String)> {
    fn resolve(&self, prefix: &str) -> Option<&str> {
        self.iter()
            .rev()
            .find(|(p, _)| p == prefix)
            .map(|(_, ns)| ns.as_str())
    }
}

/// A context with no declarations (unprefixed names have no namespace).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNamespaces;

impl NamespaceContext for NoNamespaces {
    fn resolve(&self, _prefix: &str) -> Option<&str> {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variety {
    Atomic,
    List,
    Union,
}

/// The whiteSpace facet, ordered from least to most normalising.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum WhiteSpace {
    Preserve,
    Replace,
    Collapse,
}

/// A facet as written in a schema, before it is checked against its base type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetSpec {
    pub kind: FacetKind,
    pub value: String,
    pub fixed: bool,
    /// In-scope prefixes of the facet's element, for QName/NOTATION enumeration values.
    pub ns: Vec<(String, String)>,
}

impl FacetSpec {
    pub fn new(kind: FacetKind, value: impl Into<String>) -> FacetSpec {
        FacetSpec {
            kind,
            value: value.into(),
            fixed: false,
            ns: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FacetKind {
    Length,
    MinLength,
    MaxLength,
    Pattern,
    Enumeration,
    WhiteSpace,
    MaxInclusive,
    MaxExclusive,
    MinInclusive,
    MinExclusive,
    TotalDigits,
    FractionDigits,
}

/// A literal that is not valid for a simple type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {message}")]
#[non_exhaustive]
pub struct ValueError {
    /// The validation rule violated, e.g. `cvc-pattern-valid`.
    pub rule: &'static str,
    /// What was expected, e.g. `'abc' is not a valid xs:decimal`.
    pub message: String,
}

impl ValueError {
    pub(crate) fn new(rule: &'static str, message: String) -> ValueError {
        ValueError { rule, message }
    }
}

/// A simple type definition that is not correct (schema error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {message}")]
#[non_exhaustive]
pub struct DatatypeError {
    /// The schema component constraint violated, e.g. `maxLength-valid-restriction`.
    pub rule: &'static str,
    pub message: String,
}

impl DatatypeError {
    pub(crate) fn new(rule: &'static str, message: String) -> DatatypeError {
        DatatypeError { rule, message }
    }
}

/// The rule reported when a restriction changes a facet that its base fixed.
pub const RULE_FIXED_FACET: &str = "fixed-facet";

#[derive(Debug, serde::Serialize, serde::Deserialize)]
enum Structure {
    Atomic,
    List(#[serde(with = "crate::cache::shared")] Arc<SimpleType>),
    Union(#[serde(with = "crate::cache::shared::vec")] Vec<Arc<SimpleType>>),
}

/// A simple type definition with its effective facets. Immutable, `Send + Sync`, shared as
/// `Arc<SimpleType>`.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct SimpleType {
    name: Option<String>,
    #[serde(with = "crate::cache::shared::option")]
    base: Option<Arc<SimpleType>>,
    /// The nearest built-in ancestor (the type itself for built-ins); anySimpleType for
    /// user-defined lists and unions.
    builtin: Builtin,
    is_builtin: bool,
    structure: Structure,
    facets: Facets,
}

impl SimpleType {
    /// The effective facets (for the cache's check of values read from an entry).
    pub(crate) fn facets(&self) -> &Facets {
        &self.facets
    }

    /// The built-in this type is, when it is the process-wide instance of one (see
    /// [`SimpleType::builtin`]).
    pub(crate) fn static_builtin(&self) -> Option<Builtin> {
        self.is_builtin.then_some(self.builtin)
    }

    /// The shared instance of a built-in type.
    pub fn builtin(b: Builtin) -> Arc<SimpleType> {
        static BUILTINS: OnceLock<Vec<Arc<SimpleType>>> = OnceLock::new();
        let all = BUILTINS.get_or_init(build_builtins);
        let index = Builtin::ALL.iter().position(|x| *x == b).unwrap_or(0);
        // build_builtins creates one entry per Builtin::ALL member, in order.
        Arc::clone(&all[index])
    }

    /// Derives a type by restriction, checking every facet against the base (XSD 1.0 4.3 and
    /// the `*-valid-restriction` constraints).
    pub fn restrict(
        base: &Arc<SimpleType>,
        facets: &[FacetSpec],
        name: Option<String>,
    ) -> Result<SimpleType, DatatypeError> {
        if base.is_builtin && base.builtin == Builtin::AnySimpleType && !facets.is_empty() {
            return Err(DatatypeError::new(
                "cos-applicable-facets",
                "xs:anySimpleType has no applicable facets".into(),
            ));
        }
        let class = base.facet_class();
        let mut effective = base.facets.clone();
        let mut seen: Vec<FacetKind> = Vec::new();
        let mut patterns: Vec<&str> = Vec::new();
        let mut enumeration: Vec<&FacetSpec> = Vec::new();
        let mut new_min: Option<(FacetKind, Bound)> = None;
        let mut new_max: Option<(FacetKind, Bound)> = None;
        for spec in facets {
            if !applicable(spec.kind, class) {
                return Err(DatatypeError::new(
                    "cos-applicable-facets",
                    format!(
                        "the {} facet does not apply to {}",
                        facet_name(spec.kind),
                        base.describe()
                    ),
                ));
            }
            match spec.kind {
                FacetKind::Pattern => {
                    patterns.push(&spec.value);
                    continue;
                }
                FacetKind::Enumeration => {
                    enumeration.push(spec);
                    continue;
                }
                k if seen.contains(&k) => {
                    return Err(DatatypeError::new(
                        "src-single-facet-value",
                        format!("the {} facet is given more than once", facet_name(k)),
                    ))
                }
                k => seen.push(k),
            }
            match spec.kind {
                FacetKind::WhiteSpace => {
                    let ws = match spec.value.trim() {
                        "preserve" => WhiteSpace::Preserve,
                        "replace" => WhiteSpace::Replace,
                        "collapse" => WhiteSpace::Collapse,
                        other => {
                            return Err(DatatypeError::new(
                                "cos-applicable-facets",
                                format!(
                                    "'{}' is not a whiteSpace value (preserve, replace, collapse)",
                                    truncate(other, 40)
                                ),
                            ))
                        }
                    };
                    if let Some(old) = base.facets.whitespace {
                        check_fixed(old, ws, FacetKind::WhiteSpace)?;
                        if ws < old.value {
                            return Err(DatatypeError::new(
                                "whiteSpace-valid-restriction",
                                format!(
                                    "whiteSpace {ws:?} is weaker than the base's {:?}",
                                    old.value
                                ),
                            ));
                        }
                    }
                    effective.whitespace = Some(Fixable {
                        value: ws,
                        fixed: spec.fixed,
                    });
                }
                FacetKind::Length | FacetKind::MinLength | FacetKind::MaxLength => {
                    let v = parse_count(spec, false)?;
                    restrict_length(base, &mut effective, spec, v)?;
                }
                FacetKind::TotalDigits => {
                    let v = parse_count(spec, true)?;
                    if let Some(old) = base.facets.total_digits {
                        check_fixed(old, v, spec.kind)?;
                        if v > old.value {
                            return Err(DatatypeError::new(
                                "totalDigits-valid-restriction",
                                format!("totalDigits {v} exceeds the base's {}", old.value),
                            ));
                        }
                    }
                    effective.total_digits = Some(Fixable {
                        value: v,
                        fixed: spec.fixed,
                    });
                }
                FacetKind::FractionDigits => {
                    let v = parse_count(spec, false)?;
                    if let Some(old) = base.facets.fraction_digits {
                        check_fixed(old, v, spec.kind)?;
                        if v > old.value {
                            return Err(DatatypeError::new(
                                "fractionDigits-valid-restriction",
                                format!("fractionDigits {v} exceeds the base's {}", old.value),
                            ));
                        }
                    }
                    effective.fraction_digits = Some(Fixable {
                        value: v,
                        fixed: spec.fixed,
                    });
                }
                FacetKind::MinInclusive | FacetKind::MinExclusive => {
                    if let Some((other, _)) = &new_min {
                        return Err(both_bounds(*other, spec.kind));
                    }
                    new_min = Some((spec.kind, base.parse_bound(spec)?));
                }
                FacetKind::MaxInclusive | FacetKind::MaxExclusive => {
                    if let Some((other, _)) = &new_max {
                        return Err(both_bounds(*other, spec.kind));
                    }
                    new_max = Some((spec.kind, base.parse_bound(spec)?));
                }
                FacetKind::Pattern | FacetKind::Enumeration => {}
            }
        }
        if let (Some(t), Some(f)) = (effective.total_digits, effective.fraction_digits) {
            if f.value > t.value {
                return Err(DatatypeError::new(
                    "fractionDigits-totalDigits",
                    format!("fractionDigits {} exceeds totalDigits {}", f.value, t.value),
                ));
            }
        }
        if let Some((kind, bound)) = new_min {
            check_bound_restriction(kind, &bound, &base.facets)?;
            effective.min = Some(bound);
        }
        if let Some((kind, bound)) = new_max {
            check_bound_restriction(kind, &bound, &base.facets)?;
            effective.max = Some(bound);
        }
        check_bounds_consistent(&effective)?;
        if !patterns.is_empty() {
            let compiled = Pattern::any_of(&patterns).map_err(|e| {
                DatatypeError::new(
                    "pattern-valid-regex",
                    format!(
                        "{e} in pattern '{}'",
                        truncate(&patterns.join("' | '"), 120)
                    ),
                )
            })?;
            effective.patterns.push(Arc::new(compiled));
        }
        if !enumeration.is_empty() {
            let mut values = Vec::with_capacity(enumeration.len());
            let mut lexical = Vec::with_capacity(enumeration.len());
            for spec in enumeration {
                let v = base
                    .check(&spec.value, &spec.ns, true, false)
                    .map_err(|e| {
                        DatatypeError::new(
                            "enumeration-valid-restriction",
                            format!(
                                "enumeration value '{}' is not valid for {}: {}",
                                truncate(&spec.value, 64),
                                base.describe(),
                                e.message
                            ),
                        )
                    })?;
                if let Some(v) = v {
                    values.push(v);
                }
                lexical.push(spec.value.as_str().into());
            }
            effective.enumeration = Some(Arc::new(facet::Enumeration { values, lexical }));
        }
        let structure = match &base.structure {
            Structure::Atomic => Structure::Atomic,
            Structure::List(item) => Structure::List(Arc::clone(item)),
            Structure::Union(members) => Structure::Union(members.clone()),
        };
        Ok(SimpleType {
            name,
            base: Some(Arc::clone(base)),
            builtin: base.builtin,
            is_builtin: false,
            structure,
            facets: effective,
        })
    }

    /// A list type whose items are of `item` (which must not be a list, nor a union with a
    /// list member: cos-list-of-atomic).
    pub fn list(item: &Arc<SimpleType>, name: Option<String>) -> Result<SimpleType, DatatypeError> {
        if item.contains_list() {
            return Err(DatatypeError::new(
                "cos-list-of-atomic",
                format!(
                    "the item type {} is or contains a list type",
                    item.describe()
                ),
            ));
        }
        Ok(SimpleType {
            name,
            base: Some(SimpleType::builtin(Builtin::AnySimpleType)),
            builtin: Builtin::AnySimpleType,
            is_builtin: false,
            structure: Structure::List(Arc::clone(item)),
            facets: Facets {
                whitespace: Some(Fixable {
                    value: WhiteSpace::Collapse,
                    fixed: true,
                }),
                ..Facets::default()
            },
        })
    }

    /// A union of `members`, tried in order.
    pub fn union(
        members: &[Arc<SimpleType>],
        name: Option<String>,
    ) -> Result<SimpleType, DatatypeError> {
        if members.is_empty() {
            return Err(DatatypeError::new(
                "src-union-memberTypes-or-simpleTypes",
                "a union needs at least one member type".into(),
            ));
        }
        Ok(SimpleType {
            name,
            base: Some(SimpleType::builtin(Builtin::AnySimpleType)),
            builtin: Builtin::AnySimpleType,
            is_builtin: false,
            structure: Structure::Union(members.to_vec()),
            facets: Facets::default(),
        })
    }

    pub fn variety(&self) -> Variety {
        match self.structure {
            Structure::Atomic => Variety::Atomic,
            Structure::List(_) => Variety::List,
            Structure::Union(_) => Variety::Union,
        }
    }

    /// The primitive type of an atomic type; `None` for lists, unions and anySimpleType.
    pub fn primitive(&self) -> Option<Builtin> {
        match self.structure {
            Structure::Atomic if self.builtin != Builtin::AnySimpleType => {
                Some(self.builtin.primitive())
            }
            _ => None,
        }
    }

    /// The nearest built-in type on the base chain (the type itself for a built-in).
    pub fn builtin_ancestor(&self) -> Builtin {
        self.builtin
    }

    /// Whether this is the shared instance of a built-in type.
    pub fn is_builtin(&self) -> bool {
        self.is_builtin
    }

    pub fn whitespace(&self) -> WhiteSpace {
        match self.structure {
            // Each member of a union normalises for itself.
            Structure::Union(_) => WhiteSpace::Preserve,
            _ => self
                .facets
                .whitespace
                .map_or(WhiteSpace::Preserve, |w| w.value),
        }
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn base(&self) -> Option<&Arc<SimpleType>> {
        self.base.as_ref()
    }

    /// The item type of a list.
    pub fn item_type(&self) -> Option<&Arc<SimpleType>> {
        match &self.structure {
            Structure::List(item) => Some(item),
            _ => None,
        }
    }

    /// The member types of a union.
    pub fn member_types(&self) -> &[Arc<SimpleType>] {
        match &self.structure {
            Structure::Union(m) => m,
            _ => &[],
        }
    }

    /// Whether `other` is this type or on its base chain (every type derives from
    /// anySimpleType).
    pub fn is_derived_from(&self, other: &SimpleType) -> bool {
        if other.is_builtin && other.builtin == Builtin::AnySimpleType {
            return true;
        }
        let mut t = Some(self);
        while let Some(x) = t {
            if std::ptr::eq(x, other)
                || (x.is_builtin && other.is_builtin && x.builtin == other.builtin)
            {
                return true;
            }
            t = x.base.as_deref();
        }
        false
    }

    /// cos-st-derived-ok: derived by restriction, or derived from a member of the union
    /// `other` (2.2.4), as needed for xsi:type and substitution checks.
    pub fn is_validly_derived_from(&self, other: &SimpleType) -> bool {
        self.is_derived_from(other)
            || other
                .member_types()
                .iter()
                .any(|m| self.is_validly_derived_from(m))
    }

    /// Whether a restriction may give a value for `kind` (it is not fixed by an ancestor).
    pub fn is_facet_fixed(&self, kind: FacetKind) -> bool {
        let f = &self.facets;
        match kind {
            FacetKind::WhiteSpace => f.whitespace.is_some_and(|x| x.fixed),
            FacetKind::Length => f.length.is_some_and(|x| x.fixed),
            FacetKind::MinLength => f.min_length.is_some_and(|x| x.fixed),
            FacetKind::MaxLength => f.max_length.is_some_and(|x| x.fixed),
            FacetKind::TotalDigits => f.total_digits.is_some_and(|x| x.fixed),
            FacetKind::FractionDigits => f.fraction_digits.is_some_and(|x| x.fixed),
            FacetKind::MinInclusive | FacetKind::MinExclusive => {
                f.min.as_ref().is_some_and(|b| b.fixed)
            }
            FacetKind::MaxInclusive | FacetKind::MaxExclusive => {
                f.max.as_ref().is_some_and(|b| b.fixed)
            }
            FacetKind::Pattern | FacetKind::Enumeration => false,
        }
    }

    /// Validates a literal: whitespace normalisation, lexical space, then every facet.
    /// Allocates only when the literal needs normalising or for list/union enumerations.
    #[inline]
    pub fn validate(&self, lexical: &str, ns: &dyn NamespaceContext) -> Result<(), ValueError> {
        if let Some(result) = self.check_plain_string(lexical) {
            return result;
        }
        self.validate_other(lexical, ns)
    }

    /// [`validate`](Self::validate) for all but plain strings; out of line, so that the
    /// plain-string path keeps its small frame.
    #[inline(never)]
    fn validate_other(&self, lexical: &str, ns: &dyn NamespaceContext) -> Result<(), ValueError> {
        if let Some(result) = self.check_plain_token(lexical) {
            return result;
        }
        self.check(lexical, ns, false, true).map(|_| ())
    }

    /// Strings restricted by length and pattern only (most XÖV text types, the DIN 91379
    /// ones): every literal is in the lexical space, so only those facets remain to check.
    /// Inline, before `check`, whose frame (it handles lists and unions) costs more than
    /// these checks on a short value. `None` for every other type.
    #[inline]
    fn check_plain_string(&self, lexical: &str) -> Option<Result<(), ValueError>> {
        let f = &self.facets;
        if self.builtin != Builtin::String
            || !matches!(self.structure, Structure::Atomic)
            || f.enumeration.is_some()
            || f.has_value_facets()
        {
            return None;
        }
        let norm = normalize_whitespace(lexical, self.whitespace());
        let s: &str = &norm;
        Some((|| {
            if f.length.is_some() || f.min_length.is_some() || f.max_length.is_some() {
                f.check_length(s.chars().count(), "characters")?;
            }
            f.check_patterns(s)
        })())
    }

    /// [`check_plain_string`](Self::check_plain_string) for xs:normalizedString, xs:token
    /// (codes) and xs:boolean (flags) and their restrictions by length and pattern: after
    /// whitespace normalization every literal is a normalizedString (no tab, LF or CR) or a
    /// token (collapsed as well), so `Builtin::check_derived` holds; a boolean is one of four
    /// literals. `None` for every other type, and for an invalid boolean (`check` words the
    /// error).
    #[inline]
    fn check_plain_token(&self, lexical: &str) -> Option<Result<(), ValueError>> {
        let f = &self.facets;
        if !matches!(
            self.builtin,
            Builtin::NormalizedString | Builtin::Token | Builtin::Boolean
        ) || !matches!(self.structure, Structure::Atomic)
            || f.enumeration.is_some()
            || f.has_value_facets()
        {
            return None;
        }
        // Values without any byte up to 0x20 are normalized already: no call.
        let norm = if !has_byte_below(lexical.as_bytes(), 0x21) {
            Cow::Borrowed(lexical)
        } else {
            normalize_whitespace(lexical, self.whitespace())
        };
        let s: &str = &norm;
        if self.builtin == Builtin::Boolean && !matches!(s, "true" | "false" | "1" | "0") {
            return None;
        }
        Some((|| {
            if f.length.is_some() || f.min_length.is_some() || f.max_length.is_some() {
                f.check_length(s.chars().count(), "characters")?;
            }
            f.check_patterns(s)
        })())
    }

    /// The same checks as [`validate`](Self::validate), returning the typed value.
    pub fn parse(&self, lexical: &str, ns: &dyn NamespaceContext) -> Result<Value, ValueError> {
        match self.check(lexical, ns, true, true)? {
            Some(v) => Ok(v),
            None => Err(ValueError::new(
                "cvc-datatype-valid.1.2.1",
                format!(
                    "'{}' has no value in {}",
                    truncate(lexical, 64),
                    self.describe()
                ),
            )),
        }
    }

    /// `produce`: build the owned value. `instance`: checking document content (ENTITY
    /// values need declared unparsed entities there, which never exist without a DTD).
    fn check(
        &self,
        lexical: &str,
        ns: &dyn NamespaceContext,
        produce: bool,
        instance: bool,
    ) -> Result<Option<Value>, ValueError> {
        match &self.structure {
            Structure::Atomic => self.check_atomic(lexical, ns, produce, instance),
            Structure::List(item) => {
                let norm = normalize_whitespace(lexical, WhiteSpace::Collapse);
                let need_items = produce || self.facets.enumeration.is_some();
                let mut items = Vec::new();
                let mut count = 0usize;
                for token in norm.split(' ').filter(|t| !t.is_empty()) {
                    count += 1;
                    let v = item.check(token, ns, need_items, instance).map_err(|e| {
                        ValueError::new(
                            "cvc-datatype-valid.1.2.2",
                            format!("list item '{}': {}", truncate(token, 64), e.message),
                        )
                    })?;
                    if let Some(v) = v {
                        items.push(v);
                    }
                }
                self.facets.check_length(count, "list items")?;
                self.facets.check_patterns(&norm)?;
                let value = need_items.then_some(Value::List(items));
                if let Some(v) = &value {
                    self.facets.check_enumeration_with(&norm, |e| e == v)?;
                }
                Ok(value.filter(|_| produce))
            }
            Structure::Union(members) => {
                let need = produce || self.facets.enumeration.is_some();
                let mut found = None;
                for m in members {
                    if let Ok(v) = m.check(lexical, ns, need, instance) {
                        found = Some(v);
                        break;
                    }
                }
                let Some(value) = found else {
                    return Err(ValueError::new(
                        "cvc-datatype-valid.1.2.3",
                        format!(
                            "'{}' is not valid for any member type of {}",
                            truncate(lexical, 64),
                            self.describe()
                        ),
                    ));
                };
                self.facets.check_patterns(lexical)?;
                if let Some(v) = &value {
                    self.facets.check_enumeration_with(lexical, |e| e == v)?;
                }
                Ok(value.filter(|_| produce))
            }
        }
    }

    fn check_atomic(
        &self,
        lexical: &str,
        ns: &dyn NamespaceContext,
        produce: bool,
        instance: bool,
    ) -> Result<Option<Value>, ValueError> {
        let norm = normalize_whitespace(lexical, self.whitespace());
        let s: &str = &norm;
        let f = &self.facets;
        // Strings restricted by length and pattern only (most XÖV text types): every
        // literal is in the lexical space, so only those facets remain to check.
        if self.builtin == Builtin::String
            && !produce
            && f.enumeration.is_none()
            && !f.has_value_facets()
        {
            if f.length.is_some() || f.min_length.is_some() || f.max_length.is_some() {
                f.check_length(s.chars().count(), "characters")?;
            }
            f.check_patterns(s)?;
            return Ok(None);
        }
        let primitive = self.builtin.primitive();
        let invalid = || {
            ValueError::new(
                "cvc-datatype-valid.1.2.1",
                format!(
                    "'{}' is not a valid xs:{}",
                    truncate(s, 64),
                    self.builtin.local_name()
                ),
            )
        };
        let atom = Atom::parse(primitive, s, ns).ok_or_else(invalid)?;
        if !self.builtin.check_derived(s) {
            return Err(invalid());
        }
        if instance && self.builtin == Builtin::Entity {
            return Err(ValueError::new(
                "cvc-datatype-valid.1.2.1",
                format!(
                    "'{}' is not a declared unparsed entity (documents have no DTD)",
                    truncate(s, 64)
                ),
            ));
        }
        // Counting characters costs a pass over the value: only when a facet needs it.
        let has_length_facets =
            f.length.is_some() || f.min_length.is_some() || f.max_length.is_some();
        if let Some(len) = has_length_facets.then(|| atom.length()).flatten() {
            let unit = match atom {
                Atom::Hex(..) | Atom::Base64(..) => "octets",
                _ => "characters",
            };
            self.facets.check_length(len, unit)?;
        }
        self.facets.check_patterns(s)?;
        self.facets.check_enumeration_with(s, |v| atom.equals(v))?;
        if self.facets.has_value_facets() {
            self.facets.check_value(&atom, s)?;
        }
        Ok(produce.then(|| atom.to_value()))
    }

    /// Parses a bound facet value in the base's value space (built-in lexical and range only;
    /// the `*-valid-restriction` rules compare with the base's own bounds).
    fn parse_bound(&self, spec: &FacetSpec) -> Result<Bound, DatatypeError> {
        let norm = normalize_whitespace(&spec.value, WhiteSpace::Collapse);
        let primitive = self.builtin.primitive();
        let atom = Atom::parse(primitive, &norm, &NoNamespaces)
            .filter(|_| self.builtin.check_derived(&norm))
            .ok_or_else(|| {
                DatatypeError::new(
                    "cvc-datatype-valid.1.2.1",
                    format!(
                        "the {} value '{}' is not a valid xs:{}",
                        facet_name(spec.kind),
                        truncate(&spec.value, 64),
                        self.builtin.local_name()
                    ),
                )
            })?;
        Ok(Bound {
            value: atom.to_value(),
            lexical: norm.as_ref().into(),
            inclusive: matches!(spec.kind, FacetKind::MinInclusive | FacetKind::MaxInclusive),
            fixed: spec.fixed,
        })
    }

    fn facet_class(&self) -> FacetClass {
        match self.structure {
            Structure::List(_) => FacetClass::List,
            Structure::Union(_) => FacetClass::Union,
            Structure::Atomic => match self.builtin.primitive() {
                Builtin::Boolean => FacetClass::Boolean,
                Builtin::Decimal => FacetClass::Decimal,
                Builtin::Float
                | Builtin::Double
                | Builtin::Duration
                | Builtin::DateTime
                | Builtin::Time
                | Builtin::Date
                | Builtin::GYearMonth
                | Builtin::GYear
                | Builtin::GMonthDay
                | Builtin::GDay
                | Builtin::GMonth => FacetClass::Ordered,
                _ => FacetClass::Stringlike,
            },
        }
    }

    fn contains_list(&self) -> bool {
        match &self.structure {
            Structure::Atomic => false,
            Structure::List(_) => true,
            Structure::Union(m) => m.iter().any(|t| t.contains_list()),
        }
    }

    /// `type 'Foo' (xs:int)` or `xs:int`, for messages.
    fn describe(&self) -> String {
        match (&self.name, self.is_builtin) {
            (Some(n), false) => format!("type '{n}' (xs:{})", self.builtin.local_name()),
            (None, false) if self.variety() != Variety::Atomic => {
                format!("an anonymous {:?} type", self.variety()).to_lowercase()
            }
            _ => format!("xs:{}", self.builtin.local_name()),
        }
    }
}

fn build_builtins() -> Vec<Arc<SimpleType>> {
    let mut built: Vec<Arc<SimpleType>> = Vec::with_capacity(Builtin::ALL.len());
    for b in Builtin::ALL {
        // Builtin::ALL lists every base before the types derived from it.
        let find = |x: Builtin, built: &[Arc<SimpleType>]| {
            built.iter().find(|t| t.builtin == x).map(Arc::clone)
        };
        let base = b.base().and_then(|x| find(x, &built));
        let mut facets = base.as_ref().map(|t| t.facets.clone()).unwrap_or_default();
        let structure = match b.list_item().and_then(|x| find(x, &built)) {
            Some(item) => {
                facets = Facets {
                    min_length: Some(Fixable {
                        value: 1,
                        fixed: false,
                    }),
                    ..Facets::default()
                };
                Structure::List(item)
            }
            None => Structure::Atomic,
        };
        // Every primitive but string fixes whiteSpace to collapse.
        let fixed = !(b.is_derived_from(Builtin::String) || b == Builtin::AnySimpleType);
        facets.whitespace = Some(Fixable {
            value: b.whitespace(),
            fixed,
        });
        if b.is_derived_from(Builtin::Integer) {
            facets.fraction_digits = Some(Fixable {
                value: 0,
                fixed: true,
            });
            let (min, max) = b.integer_range();
            let bound = |s: &str| Bound {
                value: Value::Decimal(Decimal::parse(s).unwrap_or_else(|| Decimal::from_i128(0))),
                lexical: s.into(),
                inclusive: true,
                fixed: false,
            };
            if let Some(m) = min {
                facets.min = Some(bound(m));
            }
            if let Some(m) = max {
                facets.max = Some(bound(m));
            }
        }
        built.push(Arc::new(SimpleType {
            name: Some(b.local_name().to_owned()),
            base,
            builtin: b,
            is_builtin: true,
            structure,
            facets,
        }));
    }
    built
}

fn check_fixed<T: PartialEq + std::fmt::Debug>(
    old: Fixable<T>,
    new: T,
    kind: FacetKind,
) -> Result<(), DatatypeError> {
    if old.fixed && old.value != new {
        return Err(DatatypeError::new(
            RULE_FIXED_FACET,
            format!(
                "the {} facet is fixed to {:?} in the base type and cannot be changed to {:?}",
                facet_name(kind),
                old.value,
                new
            ),
        ));
    }
    Ok(())
}

fn restrict_length(
    base: &SimpleType,
    effective: &mut Facets,
    spec: &FacetSpec,
    v: u64,
) -> Result<(), DatatypeError> {
    let b = &base.facets;
    let fixable = Some(Fixable {
        value: v,
        fixed: spec.fixed,
    });
    let err = |rule, msg: String| Err(DatatypeError::new(rule, msg));
    match spec.kind {
        FacetKind::Length => {
            if let Some(old) = b.length {
                check_fixed(old, v, spec.kind)?;
                if old.value != v {
                    return err(
                        "length-valid-restriction",
                        format!("length {v} differs from the base's length {}", old.value),
                    );
                }
            }
            effective.length = fixable;
        }
        FacetKind::MinLength => {
            if let Some(old) = b.min_length {
                check_fixed(old, v, spec.kind)?;
                if v < old.value {
                    return err(
                        "minLength-valid-restriction",
                        format!("minLength {v} is below the base's minLength {}", old.value),
                    );
                }
            }
            effective.min_length = fixable;
        }
        _ => {
            if let Some(old) = b.max_length {
                check_fixed(old, v, spec.kind)?;
                if v > old.value {
                    return err(
                        "maxLength-valid-restriction",
                        format!("maxLength {v} exceeds the base's maxLength {}", old.value),
                    );
                }
            }
            effective.max_length = fixable;
        }
    }
    if let (Some(min), Some(max)) = (effective.min_length, effective.max_length) {
        if min.value > max.value {
            return err(
                "minLength-less-than-equal-to-maxLength",
                format!("minLength {} exceeds maxLength {}", min.value, max.value),
            );
        }
    }
    if let Some(len) = effective.length {
        let below = effective.min_length.is_some_and(|m| m.value > len.value);
        let above = effective.max_length.is_some_and(|m| m.value < len.value);
        if below || above {
            return err(
                "length-minLength-maxLength",
                format!(
                    "length {} is outside minLength/maxLength {:?}..{:?}",
                    len.value,
                    effective.min_length.map(|m| m.value),
                    effective.max_length.map(|m| m.value)
                ),
            );
        }
    }
    Ok(())
}

fn both_bounds(a: FacetKind, b: FacetKind) -> DatatypeError {
    let rule = if matches!(a, FacetKind::MaxInclusive | FacetKind::MaxExclusive) {
        "maxInclusive-maxExclusive"
    } else {
        "minInclusive-minExclusive"
    };
    DatatypeError::new(
        rule,
        format!(
            "{} and {} cannot both be given in one restriction",
            facet_name(a),
            facet_name(b)
        ),
    )
}

/// The `{min,max}{Inclusive,Exclusive}-valid-restriction` rules: a new bound must lie within
/// the base's bounds (and equal a fixed one).
fn check_bound_restriction(
    kind: FacetKind,
    new: &Bound,
    base: &Facets,
) -> Result<(), DatatypeError> {
    use std::cmp::Ordering::*;
    let rule = match kind {
        FacetKind::MaxInclusive => "maxInclusive-valid-restriction",
        FacetKind::MaxExclusive => "maxExclusive-valid-restriction",
        FacetKind::MinInclusive => "minInclusive-valid-restriction",
        _ => "minExclusive-valid-restriction",
    };
    let is_max = matches!(kind, FacetKind::MaxInclusive | FacetKind::MaxExclusive);
    let same_side = if is_max { &base.max } else { &base.min };
    if let Some(old) = same_side {
        if old.fixed && (old.inclusive != new.inclusive || old.value != new.value) {
            return Err(DatatypeError::new(
                RULE_FIXED_FACET,
                format!(
                    "the {} facet is fixed to {} in the base type",
                    facet_name(kind),
                    old.lexical
                ),
            ));
        }
    }
    // (base bound, its facet name, allowed orderings of the new value against it)
    let mut checks: Vec<(&Bound, &str, &[std::cmp::Ordering])> = Vec::new();
    if let Some(m) = &base.max {
        let allowed: &[std::cmp::Ordering] = match (is_max, new.inclusive, m.inclusive) {
            // maxInclusive <= base maxInclusive, < base maxExclusive
            (true, true, true) => &[Less, Equal],
            (true, true, false) => &[Less],
            // maxExclusive <= base max (either kind)
            (true, false, _) => &[Less, Equal],
            // minInclusive <= base maxInclusive, < base maxExclusive
            (false, true, true) => &[Less, Equal],
            (false, true, false) => &[Less],
            // minExclusive < base max
            (false, false, _) => &[Less],
        };
        let label = if m.inclusive {
            "maxInclusive"
        } else {
            "maxExclusive"
        };
        checks.push((m, label, allowed));
    }
    if let Some(m) = &base.min {
        let allowed: &[std::cmp::Ordering] = match (is_max, new.inclusive, m.inclusive) {
            (true, true, true) => &[Greater, Equal],
            (true, true, false) => &[Greater],
            (true, false, _) => &[Greater],
            (false, true, true) => &[Greater, Equal],
            (false, true, false) => &[Greater],
            (false, false, _) => &[Greater, Equal],
        };
        let label = if m.inclusive {
            "minInclusive"
        } else {
            "minExclusive"
        };
        checks.push((m, label, allowed));
    }
    for (b, label, allowed) in checks {
        match new.value.partial_cmp(&b.value) {
            Some(o) if !allowed.contains(&o) => {
                return Err(DatatypeError::new(
                    rule,
                    format!(
                        "{} {} is outside the base type's {label} {}",
                        facet_name(kind),
                        new.lexical,
                        b.lexical
                    ),
                ))
            }
            // Incomparable values (date/time with and without timezone) cannot be proven wrong.
            _ => {}
        }
    }
    Ok(())
}

/// min <= max consistency of the effective bounds (4.3.7 - 4.3.10 constraints).
fn check_bounds_consistent(f: &Facets) -> Result<(), DatatypeError> {
    use std::cmp::Ordering::*;
    let (Some(min), Some(max)) = (&f.min, &f.max) else {
        return Ok(());
    };
    let (rule, ok) = match (min.inclusive, max.inclusive) {
        (true, true) => (
            "minInclusive-less-than-equal-to-maxInclusive",
            &[Less, Equal][..],
        ),
        (false, false) => (
            "minExclusive-less-than-equal-to-maxExclusive",
            &[Less, Equal][..],
        ),
        (true, false) => ("minInclusive-less-than-maxExclusive", &[Less][..]),
        (false, true) => ("minExclusive-less-than-maxInclusive", &[Less][..]),
    };
    match min.value.partial_cmp(&max.value) {
        Some(o) if !ok.contains(&o) => Err(DatatypeError::new(
            rule,
            format!(
                "lower bound {} is not below upper bound {}",
                min.lexical, max.lexical
            ),
        )),
        _ => Ok(()),
    }
}

/// Applies a whiteSpace facet value; borrows when the literal is already normalised.
#[inline]
pub fn normalize_whitespace(s: &str, ws: WhiteSpace) -> Cow<'_, str> {
    match ws {
        // Most string types preserve: no call, no pass over the value.
        WhiteSpace::Preserve => Cow::Borrowed(s),
        _ => normalize_replace_or_collapse(s, ws),
    }
}

fn normalize_replace_or_collapse(s: &str, ws: WhiteSpace) -> Cow<'_, str> {
    let is_ws = |c: char| matches!(c, '\t' | '\n' | '\r');
    match ws {
        WhiteSpace::Preserve => Cow::Borrowed(s),
        WhiteSpace::Replace => {
            if has_byte_below(s.as_bytes(), 0x20)
                && s.bytes().any(|b| matches!(b, b'\t' | b'\n' | b'\r'))
            {
                Cow::Owned(s.replace(is_ws, " "))
            } else {
                Cow::Borrowed(s)
            }
        }
        WhiteSpace::Collapse => {
            if is_collapsed(s) {
                return Cow::Borrowed(s);
            }
            let mut out = String::with_capacity(s.len());
            for word in s.split([' ', '\t', '\n', '\r']).filter(|w| !w.is_empty()) {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
            }
            Cow::Owned(out)
        }
    }
}

/// Whether any byte of `bytes` is below `limit` (at most 0x80), eight bytes at a time (the
/// last word overlaps the one before; values under eight bytes are tested by four or one).
#[inline]
fn has_byte_below(bytes: &[u8], limit: u8) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // A byte below `limit` borrows from its high bit when `limit` is subtracted and had that
    // bit clear: exact for the word as a whole (borrows only run past such a byte).
    let low64 = |w: u64| w.wrapping_sub(u64::from(limit) * ONES) & !w & (0x80 * ONES) != 0;
    let low32 = |w: u32| w.wrapping_sub(u32::from(limit) * 0x0101_0101) & !w & 0x8080_8080 != 0;
    match (bytes.last_chunk::<8>(), bytes.last_chunk::<4>()) {
        (Some(last), _) => {
            let mut words = bytes.chunks_exact(8);
            words.any(|w| {
                w.try_into()
                    .is_ok_and(|w: [u8; 8]| low64(u64::from_le_bytes(w)))
            }) || low64(u64::from_le_bytes(*last))
        }
        (None, Some(last)) => {
            bytes
                .first_chunk::<4>()
                .is_some_and(|w| low32(u32::from_le_bytes(*w)))
                || low32(u32::from_le_bytes(*last))
        }
        (None, None) => bytes.iter().any(|&b| b < limit),
    }
}

/// Whether `s` is already whitespace-collapsed: no tab, LF or CR, no leading, trailing or
/// double space (one pass over the bytes; this runs for most values).
fn is_collapsed(s: &str) -> bool {
    // Most values (codes, dates, numbers, names) have no byte at or below 0x20 at all, which
    // eight-byte words tell quickly; only the others need the exact walk below.
    const ONES: u64 = 0x0101_0101_0101_0101;
    let bytes = s.as_bytes();
    let mut words = bytes.chunks_exact(8);
    let low_byte = |w: u64| w.wrapping_sub(0x21 * ONES) & !w & (0x80 * ONES) != 0;
    let any_low = words.by_ref().any(|w| {
        w.try_into()
            .is_ok_and(|w: [u8; 8]| low_byte(u64::from_le_bytes(w)))
    }) || words.remainder().iter().any(|&b| b <= b' ');
    if !any_low {
        return true;
    }
    let mut previous_space = true; // a leading space counts as a double one
    for b in s.bytes() {
        match b {
            b'\t' | b'\n' | b'\r' => return false,
            b' ' if previous_space => return false,
            b' ' => previous_space = true,
            _ => previous_space = false,
        }
    }
    !previous_space || s.is_empty()
}

#[cfg(test)]
mod tests;
