//! Differential testing against xmllint (issue 3): valid instances generated for message roots
//! of XBau 2.6, xdomea 3.0, XJustiz 3.6.2 and XWasser 1.0, and deterministic mutants of them,
//! judged by our engine and by libxml2; every disagreement must be listed in
//! tests/known-failures/differential.txt with the clause that shows which side is right.
//!
//! Code map: [`corpus`] (standards, schema files, roots) -> [`outline`] (element byte ranges
//! plus schema facts) -> [`mutation`] (kinds, seeded by [`rng`] from the case id) ->
//! [`runner`] (batches for [`xmllint`], our verdicts, comparison) -> [`tally`] (summary).

pub mod corpus;
pub mod mutation;
pub mod outline;
pub mod rng;
pub mod runner;
pub mod tally;
pub mod xmllint;
