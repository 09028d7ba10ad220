//! Value expressions: functions over paths and literals, parsed when a mapping compiles and
//! evaluated when a scope (the document or a group item) closes.
//!
//! ```text
//! expr      := 'literal' | "literal" | number | function '(' [expr (',' expr)*] ')' | path
//! condition := disjunct ('or' disjunct)*        disjunct := atom ('and' atom)*
//! atom      := 'not' '(' condition ')' | 'exists' '(' expr ')' | '(' condition ')'
//!            | expr [('=' | '!=') expr]          (a bare expr holds when non-empty)
//! ```
//! A path yields the first matching node's value, or nothing. Functions of one value yield
//! nothing for nothing, so that a field's `default` and `required` see through them.

use super::codelist::{CodeList, UnknownCode};
use super::format::{self, DatePiece};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Literal(String),
    /// The value captured for a path, by slot in the scope's frame.
    Path(usize),
    Concat(Vec<Expr>),
    Coalesce(Vec<Expr>),
    Substring {
        value: Box<Expr>,
        /// 1-based, in characters, as in XPath.
        start: usize,
        length: Option<usize>,
    },
    SubstringBefore(Box<Expr>, String),
    SubstringAfter(Box<Expr>, String),
    Replace(Box<Expr>, String, String),
    NormalizeSpace(Box<Expr>),
    Upper(Box<Expr>),
    Lower(Box<Expr>),
    FormatDate(Box<Expr>, Vec<DatePiece>),
    FormatNumber {
        value: Box<Expr>,
        decimals: usize,
        decimal_separator: String,
        grouping_separator: String,
    },
    Lookup(usize, Box<Expr>),
    Choose(Vec<(Condition, Expr)>, Option<Box<Expr>>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    NonEmpty(Expr),
    Exists(Expr),
    Equals(Expr, Expr),
    NotEquals(Expr, Expr),
    Not(Box<Condition>),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
}

/// What the compiler provides while parsing: path registration and code-list names.
pub trait ExprContext {
    /// Registers a path and returns its slot.
    fn path(&mut self, text: &str) -> Result<usize, String>;
    fn codelist(&self, name: &str) -> Option<usize>;
}

/// An expression could not be evaluated for this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalProblem {
    /// A function got a value it cannot take (the value itself is not repeated: it may be
    /// personal data and ends up in dead-letter reasons).
    InvalidValue {
        function: &'static str,
        expected: &'static str,
    },
    UnknownCode(UnknownCode),
}

/// The values captured for one scope and the plan's code lists.
pub struct Values<'a> {
    pub slots: &'a [Option<String>],
    pub codelists: &'a [CodeList],
}

impl Expr {
    /// Whether the expression is known without any input (literals only).
    fn is_constant(&self) -> bool {
        matches!(self, Expr::Literal(_))
    }

    pub fn eval(&self, values: &Values<'_>) -> Result<Option<String>, EvalProblem> {
        let unary = |inner: &Expr, f: &dyn Fn(String) -> String| Ok(inner.eval(values)?.map(f));
        match self {
            Expr::Literal(text) => Ok(Some(text.clone())),
            Expr::Path(slot) => Ok(values.slots.get(*slot).cloned().flatten()),
            Expr::Concat(parts) => {
                let mut out = String::new();
                let mut any_input = false;
                let mut all_constant = true;
                for part in parts {
                    all_constant &= part.is_constant();
                    if let Some(text) = part.eval(values)? {
                        any_input |= !part.is_constant();
                        out.push_str(&text);
                    }
                }
                // Separators alone are not a value: `concat(a, ' ', b)` with neither a nor b
                // is missing, so `default`/`required` still apply.
                Ok((any_input || all_constant).then_some(out))
            }
            Expr::Coalesce(parts) => {
                for part in parts {
                    if let Some(text) = part.eval(values)? {
                        if !text.is_empty() {
                            return Ok(Some(text));
                        }
                    }
                }
                Ok(None)
            }
            Expr::Substring {
                value,
                start,
                length,
            } => unary(value, &|s| {
                let skip = start.saturating_sub(1);
                match length {
                    Some(n) => s.chars().skip(skip).take(*n).collect(),
                    None => s.chars().skip(skip).collect(),
                }
            }),
            Expr::SubstringBefore(value, needle) => unary(value, &|s| {
                s.find(needle.as_str())
                    .and_then(|i| s.get(..i))
                    .unwrap_or("")
                    .to_owned()
            }),
            Expr::SubstringAfter(value, needle) => unary(value, &|s| {
                s.find(needle.as_str())
                    .and_then(|i| s.get(i + needle.len()..))
                    .unwrap_or("")
                    .to_owned()
            }),
            Expr::Replace(value, from, to) => unary(value, &|s| s.replace(from.as_str(), to)),
            Expr::NormalizeSpace(value) => unary(value, &|s| {
                s.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
            }),
            Expr::Upper(value) => unary(value, &|s| s.to_uppercase()),
            Expr::Lower(value) => unary(value, &|s| s.to_lowercase()),
            Expr::FormatDate(value, pattern) => match value.eval(values)? {
                None => Ok(None),
                Some(s) => format::format_date(&s, pattern).map(Some).ok_or(
                    EvalProblem::InvalidValue {
                        function: "format-date",
                        expected:
                            "an xs:date, xs:dateTime or xs:time with the parts the pattern uses",
                    },
                ),
            },
            Expr::FormatNumber {
                value,
                decimals,
                decimal_separator,
                grouping_separator,
            } => match value.eval(values)? {
                None => Ok(None),
                Some(s) => {
                    format::format_number(&s, *decimals, decimal_separator, grouping_separator)
                        .map(Some)
                        .ok_or(EvalProblem::InvalidValue {
                            function: "format-number",
                            expected: "a decimal number",
                        })
                }
            },
            Expr::Lookup(list, value) => match (value.eval(values)?, values.codelists.get(*list)) {
                (Some(code), Some(list)) => list.translate(&code).map_err(EvalProblem::UnknownCode),
                _ => Ok(None),
            },
            Expr::Choose(branches, otherwise) => {
                for (condition, then) in branches {
                    if condition.holds(values)? {
                        return then.eval(values);
                    }
                }
                match otherwise {
                    Some(e) => e.eval(values),
                    None => Ok(None),
                }
            }
        }
    }

    /// Every path slot the expression reads, for schema checks.
    pub fn visit_paths(&self, f: &mut dyn FnMut(usize, Option<&'static str>)) {
        self.visit(None, f);
    }

    fn visit(
        &self,
        function: Option<&'static str>,
        f: &mut dyn FnMut(usize, Option<&'static str>),
    ) {
        match self {
            Expr::Literal(_) => {}
            Expr::Path(slot) => f(*slot, function),
            Expr::Concat(parts) | Expr::Coalesce(parts) => {
                parts.iter().for_each(|p| p.visit(None, f))
            }
            Expr::Substring { value, .. }
            | Expr::SubstringBefore(value, _)
            | Expr::SubstringAfter(value, _)
            | Expr::Replace(value, _, _)
            | Expr::NormalizeSpace(value)
            | Expr::Upper(value)
            | Expr::Lower(value)
            | Expr::Lookup(_, value) => value.visit(None, f),
            Expr::FormatDate(value, _) => value.visit(Some("format-date"), f),
            Expr::FormatNumber { value, .. } => value.visit(Some("format-number"), f),
            Expr::Choose(branches, otherwise) => {
                for (condition, then) in branches {
                    condition.visit(f);
                    then.visit(function, f);
                }
                if let Some(e) = otherwise {
                    e.visit(function, f);
                }
            }
        }
    }
}

impl Condition {
    pub fn holds(&self, values: &Values<'_>) -> Result<bool, EvalProblem> {
        Ok(match self {
            Condition::NonEmpty(e) => e.eval(values)?.is_some_and(|s| !s.is_empty()),
            Condition::Exists(e) => e.eval(values)?.is_some(),
            // As in XPath, a comparison with nothing is false either way.
            Condition::Equals(a, b) => match (a.eval(values)?, b.eval(values)?) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            },
            Condition::NotEquals(a, b) => match (a.eval(values)?, b.eval(values)?) {
                (Some(x), Some(y)) => x != y,
                _ => false,
            },
            Condition::Not(c) => !c.holds(values)?,
            Condition::And(a, b) => a.holds(values)? && b.holds(values)?,
            Condition::Or(a, b) => a.holds(values)? || b.holds(values)?,
        })
    }

    fn visit(&self, f: &mut dyn FnMut(usize, Option<&'static str>)) {
        match self {
            Condition::NonEmpty(e) | Condition::Exists(e) => e.visit(None, f),
            Condition::Equals(a, b) | Condition::NotEquals(a, b) => {
                a.visit(None, f);
                b.visit(None, f);
            }
            Condition::Not(c) => c.visit(f),
            Condition::And(a, b) | Condition::Or(a, b) => {
                a.visit(f);
                b.visit(f);
            }
        }
    }
}

pub fn parse_expr(text: &str, context: &mut dyn ExprContext) -> Result<Expr, String> {
    let mut parser = Parser {
        input: text,
        pos: 0,
        context,
    };
    let expr = parser.expr()?;
    parser.end()?;
    Ok(expr)
}

pub fn parse_condition(text: &str, context: &mut dyn ExprContext) -> Result<Condition, String> {
    let mut parser = Parser {
        input: text,
        pos: 0,
        context,
    };
    let condition = parser.condition()?;
    parser.end()?;
    Ok(condition)
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    context: &'a mut dyn ExprContext,
}

enum Word {
    Path(String),
    Function(String),
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        self.input.get(self.pos..).unwrap_or("")
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.rest().chars().next()
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), String> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(format!("expected `{token}` at offset {}", self.pos))
        }
    }

    fn end(&mut self) -> Result<(), String> {
        self.skip_space();
        if self.pos == self.input.len() {
            Ok(())
        } else {
            Err(format!(
                "unexpected {:?} at offset {}",
                self.rest(),
                self.pos
            ))
        }
    }

    /// Peeks a bare keyword (`and`, `or`) followed by a space or `(`.
    fn keyword(&mut self, word: &str) -> bool {
        self.skip_space();
        let rest = self.rest();
        let after = rest.get(word.len()..).and_then(|r| r.chars().next());
        if rest.starts_with(word) && after.is_some_and(|c| c.is_whitespace() || c == '(') {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn condition(&mut self) -> Result<Condition, String> {
        let mut left = self.conjunction()?;
        while self.keyword("or") {
            let right = self.conjunction()?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn conjunction(&mut self) -> Result<Condition, String> {
        let mut left = self.atom()?;
        while self.keyword("and") {
            let right = self.atom()?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn atom(&mut self) -> Result<Condition, String> {
        if self.peek() == Some('(') {
            self.expect("(")?;
            let inner = self.condition()?;
            self.expect(")")?;
            return Ok(inner);
        }
        let save = self.pos;
        if let Some(Word::Function(name)) = self.word()? {
            match name.as_str() {
                "not" => {
                    self.expect("(")?;
                    let inner = self.condition()?;
                    self.expect(")")?;
                    return Ok(Condition::Not(Box::new(inner)));
                }
                "exists" => {
                    self.expect("(")?;
                    let inner = self.expr()?;
                    self.expect(")")?;
                    return Ok(Condition::Exists(inner));
                }
                _ => {}
            }
        }
        self.pos = save;
        let left = self.expr()?;
        if self.eat("!=") {
            Ok(Condition::NotEquals(left, self.expr()?))
        } else if self.eat("=") {
            Ok(Condition::Equals(left, self.expr()?))
        } else {
            Ok(Condition::NonEmpty(left))
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        match self.peek() {
            Some(q @ ('\'' | '"')) => {
                self.pos += 1;
                let rest = self.rest();
                let end = rest
                    .find(q)
                    .ok_or_else(|| "unterminated string literal".to_owned())?;
                let text = rest.get(..end).unwrap_or("").to_owned();
                self.pos += end + 1;
                Ok(Expr::Literal(text))
            }
            Some(c) if c.is_ascii_digit() || c == '-' => {
                let rest = self.rest();
                let len = rest
                    .char_indices()
                    .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && c == '-')))
                    .map_or(rest.len(), |(i, _)| i);
                let text = rest.get(..len).unwrap_or("").to_owned();
                self.pos += len;
                Ok(Expr::Literal(text))
            }
            None => Err("expected an expression, found the end".into()),
            Some(_) => match self.word()? {
                Some(Word::Path(text)) => Ok(Expr::Path(self.context.path(&text)?)),
                Some(Word::Function(name)) => self.call(&name),
                None => Err(format!(
                    "expected an expression at offset {}: {:?}",
                    self.pos,
                    self.rest()
                )),
            },
        }
    }

    /// A path or a function name (a plain name followed by `(`; `text()` stays a path step).
    fn word(&mut self) -> Result<Option<Word>, String> {
        self.skip_space();
        let rest = self.rest();
        let mut end = 0;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        for (i, c) in rest.char_indices() {
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
                end = i + c.len_utf8();
                continue;
            }
            let accept = match c {
                '[' => {
                    depth += 1;
                    true
                }
                ']' if depth > 0 => {
                    depth -= 1;
                    true
                }
                '\'' | '"' if depth > 0 => {
                    quote = Some(c);
                    true
                }
                _ if depth > 0 => true,
                '(' => {
                    let so_far = rest.get(..i).unwrap_or("");
                    let is_text_step = so_far == "text" || so_far.ends_with("/text");
                    if is_text_step && rest.get(i..).is_some_and(|r| r.starts_with("()")) {
                        end = i + 2;
                        break;
                    }
                    false
                }
                c => c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '/' | '@' | '*'),
            };
            if !accept {
                break;
            }
            end = i + c.len_utf8();
        }
        if quote.is_some() || depth > 0 {
            return Err("unterminated predicate in path".into());
        }
        if end == 0 {
            return Ok(None);
        }
        let text = rest.get(..end).unwrap_or("").to_owned();
        self.pos += end;
        let is_name = text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-'));
        if is_name && self.peek() == Some('(') {
            return Ok(Some(Word::Function(text)));
        }
        Ok(Some(Word::Path(text)))
    }

    fn arguments(&mut self) -> Result<Vec<Expr>, String> {
        self.expect("(")?;
        let mut args = Vec::new();
        if self.eat(")") {
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            if self.eat(")") {
                return Ok(args);
            }
            if !self.eat(",") {
                return Err(format!("expected `,` or `)` at offset {}", self.pos));
            }
        }
    }

    fn call(&mut self, name: &str) -> Result<Expr, String> {
        if name == "lookup" {
            self.expect("(")?;
            let list = match self.expr()? {
                Expr::Literal(list) => list,
                _ => return Err("lookup: the first argument is a code list name in quotes".into()),
            };
            let index = self
                .context
                .codelist(&list)
                .ok_or_else(|| format!("lookup: no code list {list:?} in [codelists]"))?;
            self.expect(",")?;
            let value = self.expr()?;
            self.expect(")")?;
            return Ok(Expr::Lookup(index, Box::new(value)));
        }
        let args = self.arguments()?;
        let arity = |min: usize, max: usize| {
            if (min..=max).contains(&args.len()) {
                Ok(())
            } else if min == max {
                Err(format!(
                    "{name}: takes {min} argument(s), got {}",
                    args.len()
                ))
            } else {
                Err(format!(
                    "{name}: takes {min} to {max} arguments, got {}",
                    args.len()
                ))
            }
        };
        let literal = |i: usize, what: &str| match args.get(i) {
            Some(Expr::Literal(text)) => Ok(text.clone()),
            Some(_) => Err(format!("{name}: {what} must be a literal")),
            None => Err(format!("{name}: {what} is missing")),
        };
        let count = |i: usize, what: &str| -> Result<usize, String> {
            literal(i, what)?
                .parse::<usize>()
                .map_err(|_| format!("{name}: {what} must be a non-negative integer"))
        };
        let mut args_iter = args.clone().into_iter();
        let mut first =
            || -> Box<Expr> { Box::new(args_iter.next().unwrap_or(Expr::Literal(String::new()))) };
        let expr = match name {
            "concat" => {
                arity(1, usize::MAX)?;
                Expr::Concat(args.clone())
            }
            "coalesce" => {
                arity(1, usize::MAX)?;
                Expr::Coalesce(args.clone())
            }
            "substring" => {
                arity(2, 3)?;
                let start = count(1, "the start position")?;
                let length = if args.len() == 3 {
                    Some(count(2, "the length")?)
                } else {
                    None
                };
                Expr::Substring {
                    value: first(),
                    start,
                    length,
                }
            }
            "substring-before" => {
                arity(2, 2)?;
                Expr::SubstringBefore(first(), literal(1, "the separator")?)
            }
            "substring-after" => {
                arity(2, 2)?;
                Expr::SubstringAfter(first(), literal(1, "the separator")?)
            }
            "replace" => {
                arity(3, 3)?;
                let from = literal(1, "the text to replace")?;
                if from.is_empty() {
                    return Err("replace: the text to replace is empty".into());
                }
                Expr::Replace(first(), from, literal(2, "the replacement")?)
            }
            "normalize-space" => {
                arity(1, 1)?;
                Expr::NormalizeSpace(first())
            }
            "upper-case" | "upper" => {
                arity(1, 1)?;
                Expr::Upper(first())
            }
            "lower-case" | "lower" => {
                arity(1, 1)?;
                Expr::Lower(first())
            }
            "format-date" => {
                arity(2, 2)?;
                let pattern = format::parse_date_pattern(&literal(1, "the pattern")?)
                    .map_err(|e| format!("format-date: {e}"))?;
                Expr::FormatDate(first(), pattern)
            }
            "format-number" => {
                arity(2, 4)?;
                let decimals = count(1, "the number of decimals")?;
                let decimal_separator = if args.len() > 2 {
                    literal(2, "the decimal separator")?
                } else {
                    ".".into()
                };
                let grouping_separator = if args.len() > 3 {
                    literal(3, "the grouping separator")?
                } else {
                    String::new()
                };
                Expr::FormatNumber {
                    value: first(),
                    decimals,
                    decimal_separator,
                    grouping_separator,
                }
            }
            other => return Err(format!("unknown function {other:?}")),
        };
        Ok(expr)
    }
}

#[cfg(test)]
mod tests {
    use super::super::codelist::OnUnknown;
    use super::*;

    /// Registers paths in order; slot i holds `values[i]`.
    #[derive(Default)]
    struct Paths(Vec<String>);

    impl ExprContext for Paths {
        fn path(&mut self, text: &str) -> Result<usize, String> {
            super::super::path::parse(text, &Default::default()).map_err(|e| e.to_string())?;
            self.0.push(text.to_owned());
            Ok(self.0.len() - 1)
        }
        fn codelist(&self, name: &str) -> Option<usize> {
            (name == "art").then_some(0)
        }
    }

    fn lists() -> Vec<CodeList> {
        vec![CodeList {
            name: "art".into(),
            entries: [("neubau".to_owned(), "Neubau".to_owned())].into(),
            on_unknown: OnUnknown::Error,
        }]
    }

    /// Evaluates `text` with the paths it names bound, in order, to `slots`.
    fn eval(text: &str, slots: &[Option<&str>]) -> Result<Option<String>, EvalProblem> {
        let mut paths = Paths::default();
        let expr = parse_expr(text, &mut paths).unwrap_or_else(|e| panic!("{text}: {e}"));
        let slots: Vec<Option<String>> = slots.iter().map(|s| s.map(str::to_owned)).collect();
        let lists = lists();
        expr.eval(&Values {
            slots: &slots,
            codelists: &lists,
        })
    }

    fn ok(text: &str, slots: &[Option<&str>]) -> Option<String> {
        eval(text, slots).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    #[test]
    fn concat_treats_missing_as_empty_but_separators_alone_as_missing() {
        assert_eq!(
            ok(
                "concat(vorname, ' ', familienname)",
                &[Some("A"), Some("B")]
            )
            .as_deref(),
            Some("A B")
        );
        assert_eq!(
            ok("concat(vorname, ' ', familienname)", &[None, Some("B")]).as_deref(),
            Some(" B")
        );
        assert_eq!(
            ok("concat(vorname, ' ', familienname)", &[None, None]),
            None
        );
        assert_eq!(ok("concat('a', \"b\")", &[]).as_deref(), Some("ab"));
        assert_eq!(
            ok("coalesce(a, b, 'x')", &[Some(""), None]).as_deref(),
            Some("x")
        );
        assert_eq!(
            ok("coalesce(a, b)", &[Some(""), Some("b")]).as_deref(),
            Some("b")
        );
    }

    #[test]
    fn string_functions() {
        assert_eq!(
            ok("substring(a, 2, 3)", &[Some("äbcdef")]).as_deref(),
            Some("bcd")
        );
        assert_eq!(
            ok("substring(a, 4)", &[Some("abcdef")]).as_deref(),
            Some("def")
        );
        assert_eq!(
            ok("substring(a, 0, 2)", &[Some("abc")]).as_deref(),
            Some("ab")
        );
        assert_eq!(ok("substring(a, 9)", &[Some("abc")]).as_deref(), Some(""));
        assert_eq!(ok("substring(a, 1)", &[None]), None);
        assert_eq!(
            ok("substring-before(a, ':')", &[Some("ags:09162000")]).as_deref(),
            Some("ags")
        );
        assert_eq!(
            ok("substring-after(a, ':')", &[Some("ags:09162000")]).as_deref(),
            Some("09162000")
        );
        assert_eq!(
            ok("substring-after(a, '#')", &[Some("x")]).as_deref(),
            Some("")
        );
        assert_eq!(
            ok("replace(a, '-', '')", &[Some("a-b-c")]).as_deref(),
            Some("abc")
        );
        assert_eq!(
            ok("normalize-space(a)", &[Some("\n  a \t b  ")]).as_deref(),
            Some("a b")
        );
        assert_eq!(
            ok("upper-case(a)", &[Some("straße")]).as_deref(),
            Some("STRASSE")
        );
        assert_eq!(ok("upper(a)", &[Some("ö")]).as_deref(), Some("Ö"));
        assert_eq!(ok("lower-case(a)", &[Some("ÄB")]).as_deref(), Some("äb"));
        assert_eq!(ok("lower(a)", &[None]), None);
    }

    #[test]
    fn formatting_functions() {
        assert_eq!(
            ok(
                "format-date(a, '%d.%m.%Y')",
                &[Some("2026-11-25T09:30:00+01:00")]
            )
            .as_deref(),
            Some("25.11.2026")
        );
        assert_eq!(
            eval("format-date(a, '%d.%m.%Y')", &[Some("gestern")]),
            Err(EvalProblem::InvalidValue {
                function: "format-date",
                expected: "an xs:date, xs:dateTime or xs:time with the parts the pattern uses"
            })
        );
        assert_eq!(
            ok("format-number(a, 2, ',', '.')", &[Some("485000")]).as_deref(),
            Some("485.000,00")
        );
        assert_eq!(
            ok("format-number(a, 0)", &[Some("2.5")]).as_deref(),
            Some("3")
        );
        assert!(matches!(
            eval("format-number(a, 0)", &[Some("zwei")]),
            Err(EvalProblem::InvalidValue {
                function: "format-number",
                ..
            })
        ));
    }

    #[test]
    fn lookup_uses_the_named_code_list() {
        assert_eq!(
            ok("lookup('art', a)", &[Some(" neubau ")]).as_deref(),
            Some("Neubau")
        );
        assert_eq!(
            eval("lookup('art', a)", &[Some("abriss")]),
            Err(EvalProblem::UnknownCode(UnknownCode {
                list: "art".into(),
                code: "abriss".into()
            }))
        );
        assert_eq!(ok("lookup('art', a)", &[None]), None);
    }

    #[test]
    fn paths_with_predicates_and_text_steps_are_words() {
        let mut paths = Paths::default();
        let expr = parse_expr(
            "concat(x[@listVersionID = '1'][2]/code, text(), a/text(), @id, .//b)",
            &mut paths,
        )
        .expect("parse");
        assert_eq!(
            paths.0,
            vec![
                "x[@listVersionID = '1'][2]/code",
                "text()",
                "a/text()",
                "@id",
                ".//b"
            ]
        );
        assert!(matches!(expr, Expr::Concat(ref parts) if parts.len() == 5));
    }

    #[test]
    fn conditions() {
        let holds = |text: &str, slots: &[Option<&str>]| {
            let mut paths = Paths::default();
            let condition = parse_condition(text, &mut paths).expect(text);
            let slots: Vec<Option<String>> = slots.iter().map(|s| s.map(str::to_owned)).collect();
            condition
                .holds(&Values {
                    slots: &slots,
                    codelists: &[],
                })
                .expect("holds")
        };
        assert!(holds("a = 'x'", &[Some("x")]));
        assert!(!holds("a = 'x'", &[None]));
        assert!(!holds("a != 'x'", &[None]));
        assert!(holds("a != 'x'", &[Some("y")]));
        assert!(holds("exists(a)", &[Some("")]));
        assert!(!holds("a", &[Some("")]));
        assert!(holds("not(a) and b = '1'", &[None, Some("1")]));
        assert!(holds("a or b", &[None, Some("1")]));
        assert!(holds(
            "(a or b) and not(exists(c))",
            &[Some("1"), None, None]
        ));
        assert!(!holds(
            "a = 'x' and b = 'y' or c",
            &[Some("x"), Some("n"), None]
        ));
    }

    #[test]
    fn parse_errors_are_specific() {
        for (text, needle) in [
            ("concat(a", "expected `,` or `)`"),
            ("frobnicate(a)", "unknown function"),
            ("substring(a)", "takes 2 to 3"),
            ("substring(a, b)", "must be a literal"),
            ("format-date(a, '%Q')", "unknown directive"),
            ("format-number(a, '-1')", "non-negative integer"),
            ("lookup('nope', a)", "no code list"),
            ("lookup(a, b)", "code list name in quotes"),
            ("'open", "unterminated"),
            ("a[@b='c'", "unterminated predicate"),
            ("a b", "unexpected"),
            ("upper(a, b)", "takes 1 argument"),
            ("replace(a, '', 'x')", "is empty"),
            ("", "found the end"),
        ] {
            let error = parse_expr(text, &mut Paths::default()).expect_err(text);
            assert!(
                error.contains(needle),
                "{text:?}: {error:?} lacks {needle:?}"
            );
        }
    }
}
