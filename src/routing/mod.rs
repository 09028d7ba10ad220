//! Routing: which destinations a submission goes to. Pure: no I/O, no async.
//!
//! A route matches on the root element (namespace and local-name pattern), on header fields of
//! `nachrichtenkopf.g2g` (`leser` kennung, `nachrichtentyp`) and on the authenticated sender.
//! Routes are tried in configuration order; the first that matches decides (fan-out is a route
//! naming several destinations).

mod pattern;

pub use pattern::NamePattern;

/// What the pipeline knows about a message once it has read it: the routing keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    pub root_namespace: Option<String>,
    pub root_name: String,
    pub message_uuid: Option<String>,
    pub nachrichtentyp: Option<String>,
    pub leser_kennung: Option<String>,
    pub autor_kennung: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub name: String,
    pub root_namespace: Option<String>,
    pub root_name: Option<NamePattern>,
    pub leser_kennung: Option<NamePattern>,
    pub nachrichtentyp: Option<NamePattern>,
    pub sender: Option<String>,
    /// Index into the configured schema sets; `None` means well-formedness and limits only.
    pub schema_set: Option<String>,
    pub targets: Vec<RouteTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTarget {
    pub destination: String,
    pub mapping: Option<String>,
}

impl Route {
    /// Whether the root element alone allows this route (header and sender not considered).
    pub fn matches_root(&self, namespace: Option<&str>, local: &str) -> bool {
        if let Some(expected) = &self.root_namespace {
            if namespace != Some(expected.as_str()) {
                return false;
            }
        }
        match &self.root_name {
            Some(pattern) => pattern.matches(local),
            None => true,
        }
    }

    pub fn matches(&self, envelope: &Envelope, sender: &str) -> bool {
        if !self.matches_root(envelope.root_namespace.as_deref(), &envelope.root_name) {
            return false;
        }
        if !optional_field_matches(&self.leser_kennung, envelope.leser_kennung.as_deref()) {
            return false;
        }
        if !optional_field_matches(&self.nachrichtentyp, envelope.nachrichtentyp.as_deref()) {
            return false;
        }
        match &self.sender {
            Some(required) => required == sender,
            None => true,
        }
    }
}

/// A pattern on a header field only matches a message that has the field.
fn optional_field_matches(pattern: &Option<NamePattern>, value: Option<&str>) -> bool {
    match (pattern, value) {
        (None, _) => true,
        (Some(pattern), Some(value)) => pattern.matches(value),
        (Some(_), None) => false,
    }
}

#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    pub fn new(routes: Vec<Route>) -> Router {
        Router { routes }
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    pub fn route(&self, envelope: &Envelope, sender: &str) -> Option<&Route> {
        self.routes
            .iter()
            .find(|route| route.matches(envelope, sender))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(name: &str) -> Route {
        Route {
            name: name.to_owned(),
            root_namespace: None,
            root_name: None,
            leser_kennung: None,
            nachrichtentyp: None,
            sender: None,
            schema_set: None,
            targets: vec![RouteTarget {
                destination: format!("{name}-destination"),
                mapping: None,
            }],
        }
    }

    fn antrag() -> Envelope {
        Envelope {
            root_namespace: Some("urn:example".into()),
            root_name: "bau.antrag.0200".into(),
            message_uuid: Some("8f0c".into()),
            nachrichtentyp: Some("0200".into()),
            leser_kennung: Some("ags:09162000".into()),
            autor_kennung: None,
        }
    }

    #[test]
    fn first_matching_route_wins() {
        let mut by_leser = route("munich");
        by_leser.leser_kennung = Some(NamePattern::new("ags:09162*"));
        let mut by_name = route("all-antraege");
        by_name.root_name = Some(NamePattern::new("*.antrag.*"));
        let router = Router::new(vec![by_leser, by_name]);
        assert_eq!(
            router.route(&antrag(), "portal").map(|r| r.name.as_str()),
            Some("munich")
        );
        let mut elsewhere = antrag();
        elsewhere.leser_kennung = Some("ags:11000000".into());
        assert_eq!(
            router.route(&elsewhere, "portal").map(|r| r.name.as_str()),
            Some("all-antraege")
        );
    }

    #[test]
    fn namespace_header_and_sender_must_all_match() {
        let mut strict = route("strict");
        strict.root_namespace = Some("urn:example".into());
        strict.nachrichtentyp = Some(NamePattern::new("0200"));
        strict.sender = Some("portal".into());
        let router = Router::new(vec![strict]);
        assert!(router.route(&antrag(), "portal").is_some());
        assert!(router.route(&antrag(), "other-portal").is_none());
        let mut other_ns = antrag();
        other_ns.root_namespace = None;
        assert!(router.route(&other_ns, "portal").is_none());
        let mut no_type = antrag();
        no_type.nachrichtentyp = None;
        assert!(router.route(&no_type, "portal").is_none());
    }
}
