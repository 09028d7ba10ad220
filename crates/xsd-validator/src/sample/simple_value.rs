//! Simple types of the model as [`SimpleType`]s (the oracle every generated literal is checked
//! against) plus a readable view of their effective facets (what the generator aims at), and
//! the generation of literals that satisfy both.
//!
//! The facets are collected here from the model's raw facets along the derivation chain
//! because `SimpleType` keeps its effective facets private; `SimpleType::validate` stays the
//! single judge of validity, so a mistake in this view costs a retry, never an invalid value.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use regex_syntax::hir::Hir;

use crate::datatypes::{self, Builtin, FacetSpec, NamespaceContext, SimpleType};
use crate::schema::{
    ComplexContent, Facet, FacetKind, NamespaceScopeId, SchemaModel, SimpleVariety, TypeDef,
    TypeId, TypeRef,
};

use super::pattern_text;
use super::rng::Rng;
use super::SampleError;

/// How many literals are tried for one value before giving up on the type.
const ATTEMPTS: usize = 24;

/// A simple type with what the generator needs to know about it.
#[derive(Debug)]
pub(crate) struct SimpleInfo {
    pub(crate) ty: Arc<SimpleType>,
    pub(crate) shape: Shape,
    pub(crate) facets: FacetView,
    /// For messages: the type's name or where an anonymous type is.
    pub(crate) label: String,
    /// The translated alternatives of the most derived pattern step, built on first use
    /// (translation is far dearer than a walk).
    hirs: OnceLock<Result<Vec<Hir>, String>>,
}

#[derive(Debug)]
pub(crate) enum Shape {
    /// The nearest built-in ancestor (anySimpleType for the ur-type itself).
    Atomic(Builtin),
    List(Arc<SimpleInfo>),
    Union(Vec<Arc<SimpleInfo>>),
}

/// Effective facets as written (lexical values), inherited along the restriction chain.
#[derive(Debug, Clone, Default)]
pub(crate) struct FacetView {
    length: Option<u64>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    /// Lexical bound and whether it is inclusive.
    min: Option<(String, bool)>,
    max: Option<(String, bool)>,
    total_digits: Option<u64>,
    fraction_digits: Option<u64>,
    /// One entry per derivation step (a value must match each); alternatives within a step.
    patterns: Vec<Vec<String>>,
    /// The nearest step's enumeration with the scope of each value (for QName prefixes).
    enumeration: Option<Vec<(String, NamespaceScopeId)>>,
}

impl FacetView {
    fn apply(&mut self, facets: &[Facet]) {
        let mut patterns = Vec::new();
        let mut enumeration = Vec::new();
        for f in facets {
            let count = || f.value.trim().parse::<u64>().ok();
            let bound = || Some((f.value.trim().to_owned(), true));
            match f.kind {
                FacetKind::Length => self.length = count(),
                FacetKind::MinLength => self.min_length = count(),
                FacetKind::MaxLength => self.max_length = count(),
                FacetKind::TotalDigits => self.total_digits = count(),
                FacetKind::FractionDigits => self.fraction_digits = count(),
                FacetKind::MinInclusive => self.min = bound(),
                FacetKind::MaxInclusive => self.max = bound(),
                FacetKind::MinExclusive => self.min = bound().map(|(v, _)| (v, false)),
                FacetKind::MaxExclusive => self.max = bound().map(|(v, _)| (v, false)),
                FacetKind::Pattern => patterns.push(f.value.clone()),
                FacetKind::Enumeration => enumeration.push((f.value.clone(), f.namespaces)),
                FacetKind::WhiteSpace => {}
            }
        }
        if !patterns.is_empty() {
            self.patterns.push(patterns);
        }
        if !enumeration.is_empty() {
            self.enumeration = Some(enumeration);
        }
    }

    /// Allowed length range (characters, octets or items): `(min, max)`.
    fn length_range(&self) -> (u64, Option<u64>) {
        match self.length {
            Some(l) => (l, Some(l)),
            None => (self.min_length.unwrap_or(0), self.max_length),
        }
    }
}

/// Builds and caches the simple types of one model.
pub(crate) struct SimpleTypes<'m> {
    model: &'m SchemaModel,
    defined: HashMap<TypeId, Arc<SimpleInfo>>,
    content: HashMap<TypeId, Arc<SimpleInfo>>,
    builtins: HashMap<Builtin, Arc<SimpleInfo>>,
    /// Types being built: a cycle (impossible in a loaded model) becomes an error.
    building: Vec<TypeId>,
}

fn facet_kind(k: FacetKind) -> datatypes::FacetKind {
    use datatypes::FacetKind as D;
    match k {
        FacetKind::Length => D::Length,
        FacetKind::MinLength => D::MinLength,
        FacetKind::MaxLength => D::MaxLength,
        FacetKind::Pattern => D::Pattern,
        FacetKind::Enumeration => D::Enumeration,
        FacetKind::WhiteSpace => D::WhiteSpace,
        FacetKind::MaxInclusive => D::MaxInclusive,
        FacetKind::MaxExclusive => D::MaxExclusive,
        FacetKind::MinInclusive => D::MinInclusive,
        FacetKind::MinExclusive => D::MinExclusive,
        FacetKind::TotalDigits => D::TotalDigits,
        FacetKind::FractionDigits => D::FractionDigits,
    }
}

impl<'m> SimpleTypes<'m> {
    pub(crate) fn new(model: &'m SchemaModel) -> SimpleTypes<'m> {
        SimpleTypes {
            model,
            defined: HashMap::new(),
            content: HashMap::new(),
            builtins: HashMap::new(),
            building: Vec::new(),
        }
    }

    /// A label for messages: `{ns}name` or `anonymous type at file:line`.
    pub(crate) fn label(&self, id: TypeId) -> String {
        match self.model.type_def(id) {
            Some(t) => match t.name() {
                Some(n) => self.model.display_name(n),
                None => {
                    let loc = t.location();
                    let doc = self
                        .model
                        .document_path(loc)
                        .and_then(|p| p.file_name())
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    format!("anonymous type at {doc}:{}", loc.line)
                }
            },
            None => format!("type #{}", id.index()),
        }
    }

    fn builtin(&mut self, b: Builtin) -> Arc<SimpleInfo> {
        if let Some(i) = self.builtins.get(&b) {
            return Arc::clone(i);
        }
        let shape = match b.list_item() {
            Some(item) => Shape::List(self.builtin(item)),
            None => Shape::Atomic(b),
        };
        let mut facets = FacetView::default();
        if b.is_list() {
            facets.min_length = Some(1);
        }
        let (min, max) = b.integer_range();
        facets.min = min.map(|m| (m.to_owned(), true));
        facets.max = max.map(|m| (m.to_owned(), true));
        let info = Arc::new(SimpleInfo {
            ty: SimpleType::builtin(b),
            shape,
            facets,
            label: format!("xs:{}", b.local_name()),
            hirs: OnceLock::new(),
        });
        self.builtins.insert(b, Arc::clone(&info));
        info
    }

    /// The simple type behind `r`; an error for complex types.
    pub(crate) fn get(&mut self, r: TypeRef) -> Result<Arc<SimpleInfo>, SampleError> {
        let id = match r {
            TypeRef::Builtin(b) => return Ok(self.builtin(b)),
            // Text allowed by anyType is any anySimpleType text.
            TypeRef::AnyType => return Ok(self.builtin(Builtin::AnySimpleType)),
            TypeRef::Defined(id) => id,
        };
        if let Some(i) = self.defined.get(&id) {
            return Ok(Arc::clone(i));
        }
        let label = self.label(id);
        let model = self.model;
        let Some(TypeDef::Simple(def)) = model.type_def(id) else {
            return Err(SampleError::Unsatisfiable {
                type_name: label,
                reason: "a complex type where a simple type is needed".into(),
            });
        };
        self.enter(id, &label)?;
        let built = match &def.variety {
            SimpleVariety::Restriction { base, facets } => self
                .get(*base)
                .and_then(|b| self.restrict(&b, facets, label.clone())),
            SimpleVariety::List { item } => self.get(*item).and_then(|item| {
                let ty = SimpleType::list(&item.ty, Some(label.clone()))
                    .map_err(|e| datatype_error(&label, e))?;
                Ok(SimpleInfo {
                    ty: Arc::new(ty),
                    shape: Shape::List(item),
                    facets: FacetView::default(),
                    label: label.clone(),
                    hirs: OnceLock::new(),
                })
            }),
            SimpleVariety::Union { members } => members
                .iter()
                .map(|m| self.get(*m))
                .collect::<Result<Vec<_>, _>>()
                .and_then(|members| {
                    let tys: Vec<_> = members.iter().map(|m| Arc::clone(&m.ty)).collect();
                    let ty = SimpleType::union(&tys, Some(label.clone()))
                        .map_err(|e| datatype_error(&label, e))?;
                    Ok(SimpleInfo {
                        ty: Arc::new(ty),
                        shape: Shape::Union(members),
                        facets: FacetView::default(),
                        label: label.clone(),
                        hirs: OnceLock::new(),
                    })
                }),
        };
        self.building.retain(|&b| b != id);
        let info = Arc::new(built?);
        self.defined.insert(id, Arc::clone(&info));
        Ok(info)
    }

    fn enter(&mut self, id: TypeId, label: &str) -> Result<(), SampleError> {
        if self.building.contains(&id) {
            return Err(SampleError::Unsatisfiable {
                type_name: label.to_owned(),
                reason: "the type derives from itself".into(),
            });
        }
        self.building.push(id);
        Ok(())
    }

    /// `base` restricted by `facets`.
    fn restrict(
        &self,
        base: &Arc<SimpleInfo>,
        facets: &[Facet],
        label: String,
    ) -> Result<SimpleInfo, SampleError> {
        let specs: Vec<FacetSpec> = facets
            .iter()
            .map(|f| FacetSpec {
                kind: facet_kind(f.kind),
                value: f.value.clone(),
                fixed: f.fixed,
                ns: self.scope_pairs(f.namespaces),
            })
            .collect();
        let ty = SimpleType::restrict(&base.ty, &specs, Some(label.clone()))
            .map_err(|e| datatype_error(&label, e))?;
        let mut view = base.facets.clone();
        view.apply(facets);
        let shape = match &base.shape {
            Shape::Atomic(b) => Shape::Atomic(*b),
            Shape::List(i) => Shape::List(Arc::clone(i)),
            Shape::Union(m) => Shape::Union(m.clone()),
        };
        Ok(SimpleInfo {
            ty: Arc::new(ty),
            shape,
            facets: view,
            label,
            hirs: OnceLock::new(),
        })
    }

    /// The bindings of a schema scope as `(prefix, uri)` pairs.
    pub(crate) fn scope_pairs(&self, scope: NamespaceScopeId) -> Vec<(String, String)> {
        let Some(s) = self.model.namespace_scope(scope) else {
            return Vec::new();
        };
        s.bindings
            .iter()
            .map(|(p, ns)| {
                (
                    p.as_deref().unwrap_or("").to_owned(),
                    self.model.namespaces.uri(*ns).unwrap_or("").to_owned(),
                )
            })
            .collect()
    }

    /// The value type of a complex type with simple content.
    pub(crate) fn content_type(&mut self, id: TypeId) -> Result<Arc<SimpleInfo>, SampleError> {
        if let Some(i) = self.content.get(&id) {
            return Ok(Arc::clone(i));
        }
        let label = self.label(id);
        let model = self.model;
        let Some(TypeDef::Complex(def)) = model.type_def(id) else {
            return self.get(TypeRef::Defined(id));
        };
        let ComplexContent::Simple {
            simple_type,
            facets,
        } = &def.content
        else {
            return Err(SampleError::Unsatisfiable {
                type_name: label,
                reason: "complex content where simple content is needed".into(),
            });
        };
        self.enter(id, &label)?;
        let base = self.value_type_of(def.base);
        let built = base.and_then(|base| {
            let start = match simple_type {
                Some(t) => self.get(TypeRef::Defined(*t))?,
                None => base,
            };
            if facets.is_empty() {
                Ok(start)
            } else {
                self.restrict(&start, facets, label.clone()).map(Arc::new)
            }
        });
        self.building.retain(|&b| b != id);
        let info = built?;
        self.content.insert(id, Arc::clone(&info));
        Ok(info)
    }

    /// The value type a base contributes to simple content: the simple type itself, or a
    /// complex base's content type.
    fn value_type_of(&mut self, base: TypeRef) -> Result<Arc<SimpleInfo>, SampleError> {
        match base {
            TypeRef::Defined(b) if matches!(self.model.type_def(b), Some(TypeDef::Complex(_))) => {
                self.content_type(b)
            }
            TypeRef::AnyType => Ok(self.builtin(Builtin::AnySimpleType)),
            other => self.get(other),
        }
    }
}

fn datatype_error(label: &str, e: datatypes::DatatypeError) -> SampleError {
    SampleError::Unsatisfiable {
        type_name: label.to_owned(),
        reason: format!("the type cannot be built: {e}"),
    }
}

/// What value generation needs from the document being built.
pub(crate) trait ValueEnv {
    fn rng(&mut self) -> &mut Rng;
    /// The prefixes declared so far, for checking QName literals.
    fn namespaces(&self) -> &dyn NamespaceContext;
    /// A declared prefix for a namespace (declaring it); `None` for the absent namespace.
    fn prefix_for(&mut self, uri: &str) -> String;
    /// The namespace QName values should use (that of the element being written).
    fn home_namespace(&self) -> Option<String>;
    /// Claims an ID value; false when it is already taken in the document.
    fn claim_id(&mut self, id: &str) -> bool;
    /// A fresh counter value for unique literals.
    fn next_serial(&mut self) -> u64;
}

/// A literal valid for `info`, or an error naming the type.
pub(crate) fn generate(
    info: &SimpleInfo,
    model: &SchemaModel,
    env: &mut dyn ValueEnv,
) -> Result<String, SampleError> {
    let mut last = String::from("no candidate literal");
    for attempt in 0..ATTEMPTS {
        let Some(candidate) = candidate(info, model, env, attempt)? else {
            continue;
        };
        match info.ty.validate(&candidate, env.namespaces()) {
            Ok(()) => {
                if is_id(info) && !env.claim_id(candidate.trim()) {
                    last = format!("ID '{candidate}' is already used");
                    continue;
                }
                return Ok(candidate);
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(SampleError::Unsatisfiable {
        type_name: info.label.clone(),
        reason: format!("no valid literal found in {ATTEMPTS} attempts (last: {last})"),
    })
}

fn is_id(info: &SimpleInfo) -> bool {
    matches!(info.shape, Shape::Atomic(b) if b.is_derived_from(Builtin::Id))
}

fn candidate(
    info: &SimpleInfo,
    model: &SchemaModel,
    env: &mut dyn ValueEnv,
    attempt: usize,
) -> Result<Option<String>, SampleError> {
    let f = &info.facets;
    if let Some(values) = &f.enumeration {
        if values.is_empty() {
            return Ok(None);
        }
        // First a random member, then the others in turn.
        let start = env.rng().index(values.len());
        let Some((lexical, scope)) = values.get((start + attempt) % values.len()) else {
            return Ok(None);
        };
        return Ok(Some(rebind_qname(info, lexical, *scope, model, env)));
    }
    let pattern_first = match info.shape {
        Shape::Atomic(b) => b.is_derived_from(Builtin::String) || b == Builtin::AnyUri,
        _ => false,
    };
    // Non-string types with a pattern: the type's own literals first (they usually match),
    // then pattern samples; strings: pattern samples first.
    if !f.patterns.is_empty() && (pattern_first || attempt % 2 == 1) {
        if let Some(s) = pattern_sample(info, env)? {
            return Ok(Some(s));
        }
    }
    match &info.shape {
        Shape::Atomic(b) => Ok(atomic(*b, f, model, env, attempt)),
        Shape::List(item) => {
            let (lo, hi) = f.length_range();
            let hi = hi.unwrap_or(lo.max(2)).min(lo.max(3));
            let n = env.rng().range(lo.max(1), hi.max(lo.max(1)));
            let n = if f.length.is_some() || f.min_length.is_some() || f.max_length.is_some() {
                env.rng().range(lo, hi.max(lo))
            } else {
                n
            };
            let mut items = Vec::new();
            for _ in 0..n {
                items.push(generate(item, model, env)?);
            }
            Ok(Some(items.join(" ")))
        }
        Shape::Union(members) => {
            if members.is_empty() {
                return Ok(None);
            }
            let start = env.rng().index(members.len());
            let Some(m) = members.get((start + attempt) % members.len()) else {
                return Ok(None);
            };
            // A member that cannot produce anything is skipped, not fatal.
            Ok(generate(m, model, env).ok())
        }
    }
}

/// Rewrites a QName/NOTATION enumeration value from the schema's prefix to the document's.
fn rebind_qname(
    info: &SimpleInfo,
    lexical: &str,
    scope: NamespaceScopeId,
    model: &SchemaModel,
    env: &mut dyn ValueEnv,
) -> String {
    let qname_like = matches!(info.shape, Shape::Atomic(b) if matches!(b.primitive(), Builtin::QName | Builtin::Notation));
    if !qname_like {
        return lexical.to_owned();
    }
    let text = lexical.trim();
    let (prefix, local) = match text.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, text),
    };
    let uri = model
        .namespace_scope(scope)
        .and_then(|s| s.lookup(prefix))
        .and_then(|ns| model.namespaces.uri(ns));
    match uri {
        Some(uri) => format!("{}:{local}", env.prefix_for(uri)),
        None => local.to_owned(),
    }
}

fn pattern_sample(
    info: &SimpleInfo,
    env: &mut dyn ValueEnv,
) -> Result<Option<String>, SampleError> {
    let f = &info.facets;
    // The most derived step is usually the most specific; the others are checked by validate.
    let Some(step) = f.patterns.last() else {
        return Ok(None);
    };
    if step.is_empty() {
        return Ok(None);
    }
    let hirs = info.hirs.get_or_init(|| {
        step.iter()
            .map(|source| {
                datatypes::translate_pattern(source)
                    .map_err(|e| format!("pattern '{source}' cannot be translated: {e}"))
            })
            .collect()
    });
    let hirs = hirs.as_ref().map_err(|reason| SampleError::Unsatisfiable {
        type_name: info.label.clone(),
        reason: reason.clone(),
    })?;
    let Some(hir) = hirs.get(env.rng().index(hirs.len())) else {
        return Ok(None);
    };
    let chars_counted = matches!(info.shape, Shape::Atomic(b) if b.is_derived_from(Builtin::String) || b == Builtin::AnyUri);
    let (lo, hi) = if chars_counted {
        f.length_range()
    } else {
        (0, None)
    };
    Ok(pattern_text::sample(
        hir,
        usize::try_from(lo).unwrap_or(usize::MAX),
        hi.map(|h| usize::try_from(h).unwrap_or(usize::MAX)),
        env.rng(),
    ))
}

/// Words that literals of string types are made of.
const WORDS: [&str; 8] = [
    "Beispiel", "Muster", "Probe", "Wert", "Eintrag", "Angabe", "Test", "Text",
];

/// A readable name-like string of exactly `len` characters (letters and digits, starting
/// with a letter).
fn word_of_length(len: usize, rng: &mut Rng) -> String {
    let mut s = String::new();
    while s.chars().count() < len {
        let w = WORDS.get(rng.index(WORDS.len())).copied().unwrap_or("Wert");
        s.push_str(w);
    }
    s.chars().take(len).collect()
}

fn length_goal(f: &FacetView, rng: &mut Rng, default_lo: u64, default_hi: u64) -> usize {
    let (lo, hi) = f.length_range();
    let want = if f.length.is_some() {
        lo
    } else {
        let lo2 = lo.max(default_lo.min(hi.unwrap_or(u64::MAX)));
        let hi2 = hi.unwrap_or(u64::MAX).min(lo2.max(default_hi));
        rng.range(lo2, hi2.max(lo2))
    };
    usize::try_from(want).unwrap_or(usize::MAX).min(1 << 20)
}

fn atomic(
    b: Builtin,
    f: &FacetView,
    model: &SchemaModel,
    env: &mut dyn ValueEnv,
    attempt: usize,
) -> Option<String> {
    use Builtin::*;
    let rng_len = |env: &mut dyn ValueEnv, lo, hi| length_goal(f, env.rng(), lo, hi);
    Some(match b {
        AnySimpleType | String | NormalizedString | Token | NmToken | Name | NcName => {
            let n = rng_len(env, 4, 12);
            word_of_length(n, env.rng())
        }
        Language => {
            let (lo, hi) = f.length_range();
            ["de", "en", "de-DE", "fr", "en-GB"]
                .into_iter()
                .map(std::string::String::from)
                .find(|s| {
                    let n = s.len() as u64;
                    n >= lo && hi.is_none_or(|h| n <= h)
                })?
        }
        Id => {
            let serial = env.next_serial();
            let n = rng_len(env, 4, 12);
            let mut s = format!("id{serial}");
            if s.len() < n {
                s.push_str(&word_of_length(n - s.len(), env.rng()));
            }
            s
        }
        IdRef => {
            // Points at an ID the document has (or will have: see the generator's fix-up).
            format!("{IDREF_MARK}{}", env.next_serial())
        }
        Entity => return None,
        Boolean => ["true", "false", "1", "0"]
            .get(env.rng().index(2) + (attempt / 2) % 2 * 2)
            .map_or("true", |v| v)
            .to_owned(),
        Decimal | Integer | NonPositiveInteger | NegativeInteger | Long | Int | Short | Byte
        | NonNegativeInteger | UnsignedLong | UnsignedInt | UnsignedShort | UnsignedByte
        | PositiveInteger => decimal_literal(b, f, env.rng(), attempt)?,
        Float | Double => float_literal(f, env.rng(), attempt),
        Duration => ["P1Y2M3DT4H5M6S", "P1D", "PT1H30M", "P0D", "P2M"]
            .get(attempt % 5)
            .map_or("P1D", |v| v)
            .to_owned(),
        DateTime | Time | Date | GYearMonth | GYear | GMonthDay | GDay | GMonth => {
            date_literal(b, f, env.rng(), attempt)
        }
        HexBinary => {
            let n = rng_len(env, 2, 8);
            let mut s = std::string::String::with_capacity(n * 2);
            for _ in 0..n {
                s.push_str(&format!("{:02X}", env.rng().below(256)));
            }
            s
        }
        Base64Binary => {
            let n = rng_len(env, 3, 12);
            let bytes: Vec<u8> = (0..n).map(|_| env.rng().below(256) as u8).collect();
            base64(&bytes)
        }
        AnyUri => {
            let n = rng_len(env, 20, 40);
            let mut s = std::string::String::from("https://example.org/");
            if n > s.len() {
                s.push_str(&word_of_length(n - s.len(), env.rng()).to_lowercase());
            }
            s.chars().take(n).collect()
        }
        QName => {
            let local = word_of_length(rng_len(env, 4, 8).max(1), env.rng()).to_lowercase();
            match env.home_namespace() {
                Some(uri) => format!("{}:{local}", env.prefix_for(&uri)),
                None => local,
            }
        }
        Notation => {
            // NOTATION needs an enumeration; without one any declared notation is a guess.
            let n = model.notations.first()?;
            match model.namespaces.uri(n.name.namespace) {
                Some(uri) => format!("{}:{}", env.prefix_for(uri), n.name.local),
                None => n.name.local.to_string(),
            }
        }
        NmTokens | IdRefs | Entities => return None,
    })
}

/// Values of IDREF type are written with this mark and a serial, then pointed at a real ID
/// once the whole document exists.
pub(crate) const IDREF_MARK: &str = "idrefPending";

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sym = |i: u32| char::from(ALPHABET.get((i & 63) as usize).copied().unwrap_or(b'A'));
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        out.push(if chunk.len() > 1 { sym(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { sym(n) } else { '=' });
    }
    out
}

/// A decimal as mantissa and scale (value = mantissa / 10^scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fixed {
    mantissa: i128,
    scale: u32,
}

impl Fixed {
    fn parse(s: &str) -> Option<Fixed> {
        let s = s.trim();
        let (neg, digits) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let frac = frac.trim_end_matches('0');
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let mut m: i128 = 0;
        for c in int.chars().chain(frac.chars()) {
            let d = c.to_digit(10)?;
            m = m.checked_mul(10)?.checked_add(i128::from(d))?;
        }
        Some(Fixed {
            mantissa: if neg { -m } else { m },
            scale: u32::try_from(frac.len()).ok()?,
        })
    }

    fn rescale(self, scale: u32) -> Option<Fixed> {
        let up = scale.checked_sub(self.scale)?;
        Some(Fixed {
            mantissa: self.mantissa.checked_mul(10i128.checked_pow(up)?)?,
            scale,
        })
    }

    fn render(self) -> String {
        let neg = self.mantissa < 0;
        let digits = self.mantissa.unsigned_abs().to_string();
        let scale = self.scale as usize;
        let s = if scale == 0 {
            digits
        } else {
            let padded = format!("{digits:0>width$}", width = scale + 1);
            let (i, f) = padded.split_at(padded.len() - scale);
            format!("{i}.{f}")
        };
        if neg {
            format!("-{s}")
        } else {
            s
        }
    }
}

fn decimal_literal(b: Builtin, f: &FacetView, rng: &mut Rng, attempt: usize) -> Option<String> {
    let integer = b.is_derived_from(Builtin::Integer) || f.fraction_digits == Some(0);
    // Work at one more fractional digit than the bounds so exclusive bounds can be stepped
    // over; integers stay at scale 0.
    let bound_scale = [&f.min, &f.max]
        .into_iter()
        .flatten()
        .filter_map(|(v, _)| Fixed::parse(v))
        .map(|x| x.scale)
        .max()
        .unwrap_or(0);
    let scale = if integer {
        0
    } else {
        let wanted = bound_scale + 1;
        f.fraction_digits
            .map_or(wanted.min(2), |fd| wanted.min(fd as u32))
    };
    let parse_at = |v: &str| Fixed::parse(v).and_then(|x| x.rescale(scale.max(x.scale)));
    let step = 1i128;
    let lo = f.min.as_ref().and_then(|(v, incl)| {
        let x = parse_at(v)?;
        // Integers: round an inexact bound up.
        let x = if x.scale > scale {
            let div = 10i128.checked_pow(x.scale - scale)?;
            Fixed {
                mantissa: x.mantissa.div_euclid(div) + i128::from(x.mantissa.rem_euclid(div) != 0),
                scale,
            }
        } else {
            x
        };
        Some(if *incl { x.mantissa } else { x.mantissa + step })
    });
    let hi = f.max.as_ref().and_then(|(v, incl)| {
        let x = parse_at(v)?;
        let x = if x.scale > scale {
            let div = 10i128.checked_pow(x.scale - scale)?;
            Fixed {
                mantissa: x.mantissa.div_euclid(div),
                scale,
            }
        } else {
            x
        };
        Some(if *incl { x.mantissa } else { x.mantissa - step })
    });
    // totalDigits caps the magnitude.
    let cap = f
        .total_digits
        .and_then(|t| 10i128.checked_pow(u32::try_from(t).ok()?.min(38)))
        .map(|p| p - 1);
    let unit = 10i128.checked_pow(scale)?;
    let (lo, hi) = match (lo, hi) {
        (Some(l), Some(h)) => (l, h),
        (Some(l), None) => (l, l.checked_add(100 * unit)?),
        (None, Some(h)) => (h.checked_sub(100 * unit)?.min(h), h),
        (None, None) => (unit, 999 * unit),
    };
    let (lo, hi) = match cap {
        Some(c) => (lo.max(-c), hi.min(c)),
        None => (lo, hi),
    };
    let m = match attempt {
        0..=11 if lo <= hi => {
            let width = u64::try_from(hi.checked_sub(lo)?).unwrap_or(u64::MAX);
            lo.checked_add(i128::from(rng.range(0, width)))?
        }
        12..=15 => lo,
        16..=19 => hi,
        _ => lo.checked_add(hi.checked_sub(lo)? / 2)?,
    };
    Some(Fixed { mantissa: m, scale }.render())
}

fn float_literal(f: &FacetView, rng: &mut Rng, attempt: usize) -> String {
    let parse = |b: &Option<(String, bool)>| b.as_ref().and_then(|(v, _)| v.parse::<f64>().ok());
    let (lo, hi) = (parse(&f.min), parse(&f.max));
    let x = match (lo, hi) {
        (Some(l), Some(h)) => l + (h - l) * (0.25 + 0.5 * (rng.below(100) as f64 / 100.0)),
        (Some(l), None) => l + 1.0 + rng.below(100) as f64,
        (None, Some(h)) => h - 1.0 - rng.below(100) as f64,
        (None, None) => rng.below(10_000) as f64 / 8.0,
    };
    if attempt > 8 {
        if let Some((v, true)) = &f.min {
            return v.clone();
        }
    }
    format!("{x}")
}

fn date_literal(b: Builtin, f: &FacetView, rng: &mut Rng, attempt: usize) -> String {
    use Builtin::*;
    // Late attempts fall back on an inclusive bound, which is valid by definition.
    if attempt >= 12 {
        let bound = if attempt % 2 == 0 { &f.min } else { &f.max };
        if let Some((v, true)) = bound {
            return v.clone();
        }
    }
    let y = 2000 + rng.below(30);
    let mo = 1 + rng.below(12);
    let d = 1 + rng.below(28);
    let h = rng.below(24);
    let mi = rng.below(60);
    let s = rng.below(60);
    match b {
        DateTime => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}"),
        Time => format!("{h:02}:{mi:02}:{s:02}"),
        Date => format!("{y:04}-{mo:02}-{d:02}"),
        GYearMonth => format!("{y:04}-{mo:02}"),
        GYear => format!("{y:04}"),
        GMonthDay => format!("--{mo:02}-{d:02}"),
        GDay => format!("---{d:02}"),
        _ => format!("--{mo:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_round_trip() {
        for (s, want) in [
            ("12.50", "12.5"),
            ("-0.05", "-0.05"),
            ("7", "7"),
            ("+3.", "3"),
        ] {
            let x = Fixed::parse(s).map(Fixed::render);
            assert_eq!(x.as_deref(), Some(want), "{s}");
        }
        assert_eq!(Fixed::parse("abc"), None);
        assert_eq!(Fixed::parse(""), None);
    }

    #[test]
    fn base64_encodes_like_rfc4648() {
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"f"), "Zg==");
    }
}
