//! The `xoev-gateway` command line: the gateway itself and the operators' tools around it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio::sync::watch;

use xoev_gateway::gateway::{self, Gateway};
use xoev_gateway::ingress::{self, BoundListener};
use xoev_gateway::telemetry;

#[derive(Parser)]
#[command(
    name = "xoev-gateway",
    version,
    about = "Interoperability gateway for XÖV messages"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway.
    Serve {
        #[arg(long)]
        config: PathBuf,
    },
    /// Load and check everything a configuration names; report every problem; exit 1 on any.
    Check {
        #[arg(long)]
        config: PathBuf,
    },
    /// Submit XML files to a running gateway (a small client for operators).
    Submit {
        #[arg(long)]
        url: String,
        /// Bearer token of the sender (or set XOEV_GATEWAY_TOKEN).
        #[arg(long, env = "XOEV_GATEWAY_TOKEN", hide_env_values = true)]
        token: Option<String>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Inspect and replay dead letters through the admin API.
    DeadLetters {
        #[command(subcommand)]
        action: DeadLetterAction,
    },
    /// Print the SHA-256 of a bearer token, as the configuration wants it.
    HashToken { token: String },
    /// Run golden mapping cases: DIR/<case>/case.toml naming the mapping, the input and the
    /// expected output. Exit 1 if any case fails.
    TestMappings { dir: PathBuf },
    /// Validate FILE against the schema, then print what the mapping makes of it.
    Map {
        #[arg(long)]
        mapping: PathBuf,
        #[arg(long)]
        catalog: Option<PathBuf>,
        #[arg(long = "schema", required = true)]
        schemas: Vec<PathBuf>,
        file: PathBuf,
    },
    /// Write a valid instance of a global element, generated from the schema.
    Sample {
        #[arg(long)]
        catalog: Option<PathBuf>,
        #[arg(long = "schema", required = true)]
        schemas: Vec<PathBuf>,
        /// Local name of the root element, optionally as {namespace}name.
        #[arg(long)]
        root: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Generate every optional element and attribute (default: required ones only).
        #[arg(long)]
        all_optional: bool,
        /// Repetitions of elements with maxOccurs > 1.
        #[arg(long, default_value_t = 2)]
        max_repeat: u32,
        /// Element count from which only required content is generated.
        #[arg(long, default_value_t = 5_000)]
        max_elements: usize,
    },
    /// Validate files against XSD schemas with the gateway's engine. Exit 0: schema compiles
    /// and every file is valid; 1: a file is invalid; 2: the schema does not compile or the
    /// call is wrong. With no FILE the schemas are only compiled.
    Validate {
        #[arg(long)]
        catalog: Option<PathBuf>,
        #[arg(long = "schema", required = true)]
        schemas: Vec<PathBuf>,
        /// Print one JSON object per file instead of text.
        #[arg(long)]
        json: bool,
        /// Compile the schemas without the compiled-schema cache (neither read nor written).
        #[arg(long)]
        no_cache: bool,
        /// Directory of the compiled-schema cache [default: $XDG_CACHE_HOME/xoev-gateway/schemas,
        /// else ~/.cache/xoev-gateway/schemas].
        #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
        cache_dir: Option<PathBuf>,
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DeadLetterAction {
    List {
        #[arg(long)]
        url: String,
        #[arg(long, env = "XOEV_GATEWAY_ADMIN_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    Replay {
        #[arg(long)]
        url: String,
        #[arg(long, env = "XOEV_GATEWAY_ADMIN_TOKEN", hide_env_values = true)]
        token: Option<String>,
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Offline tools run without starting the runtime and its worker threads: `validate` and
    // `map` are used in scripts, one process per file, where start-up is part of the cost.
    let command = match offline(cli.command) {
        Ok(code) => return code,
        Err(command) => command,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The commands that need the runtime (servers, HTTP clients).
async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { config } => serve(config).await,
        Command::Submit { url, token, files } => submit(&url, token.as_deref(), &files).await,
        Command::DeadLetters { action } => dead_letters(action).await,
        // `offline` ran every other command before the runtime started.
        _ => anyhow::bail!("internal error: an offline command reached the runtime"),
    }
}

/// Runs the commands that need no runtime; hands every other command back.
fn offline(command: Command) -> Result<ExitCode, Command> {
    match command {
        Command::Check { config } => Ok(check(&config)),
        Command::Validate {
            catalog,
            schemas,
            json,
            no_cache,
            cache_dir,
            files,
        } => {
            let cache = if no_cache {
                None
            } else {
                cache_dir
                    .or_else(default_cache_dir)
                    .map(xsd_validator::cache::SchemaCache::new)
            };
            Ok(validate(
                catalog.as_deref(),
                &schemas,
                cache.as_ref(),
                json,
                &files,
            ))
        }
        Command::TestMappings { dir } => {
            let report = xoev_gateway::mapping::run_golden_cases(&dir);
            println!("{report}");
            Ok(if report.all_passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Map {
            mapping,
            catalog,
            schemas,
            file,
        } => Ok(map(&mapping, catalog.as_deref(), &schemas, &file)),
        Command::Sample {
            catalog,
            schemas,
            root,
            seed,
            all_optional,
            max_repeat,
            max_elements,
        } => Ok(sample(
            catalog.as_deref(),
            &schemas,
            &root,
            xsd_validator::sample::SampleOptions {
                seed,
                optional_elements: if all_optional {
                    xsd_validator::sample::Optionality::All
                } else {
                    xsd_validator::sample::Optionality::Minimal
                },
                max_repeat,
                max_elements,
                ..Default::default()
            },
        )),
        Command::HashToken { token } => {
            println!("{}", ingress::sha256_hex(&token));
            Ok(ExitCode::SUCCESS)
        }
        online => Err(online),
    }
}

/// `$XDG_CACHE_HOME/xoev-gateway/schemas`, else `$HOME/.cache/xoev-gateway/schemas`; none
/// without either (the XDG base directory spec ignores relative paths).
fn default_cache_dir() -> Option<PathBuf> {
    let absolute = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    absolute("XDG_CACHE_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".cache")))
        .map(|dir| dir.join("xoev-gateway").join("schemas"))
}

fn validate(
    catalog: Option<&std::path::Path>,
    schemas: &[PathBuf],
    cache: Option<&xsd_validator::cache::SchemaCache>,
    json: bool,
    files: &[PathBuf],
) -> ExitCode {
    let started = std::time::Instant::now();
    let compiled = match cache {
        Some(cache) => cache.compile(schemas, catalog).map(|(set, outcome)| {
            if let xsd_validator::cache::CacheOutcome::Compiled {
                written: Err(error),
                ..
            } = outcome
            {
                eprintln!("warning: {error}");
            }
            set
        }),
        None => xsd_validator::SchemaSet::compile(schemas, catalog),
    };
    let schema_set = match compiled {
        Ok(set) => set,
        Err(errors) => {
            for error in &errors {
                eprintln!("{error}");
            }
            eprintln!("schema does not compile: {} error(s)", errors.len());
            return ExitCode::from(2);
        }
    };
    if files.is_empty() {
        println!(
            "schema compiles ({:.1} ms)",
            started.elapsed().as_secs_f64() * 1e3
        );
        // As below: freeing the set is work nobody waits for.
        std::mem::forget(schema_set);
        return ExitCode::SUCCESS;
    }
    let options = xsd_validator::ValidationOptions::default();
    let mut all_valid = true;
    for file in files {
        // Streamed: memory stays flat however large the file (the validator buffers itself).
        let read = if file.as_os_str() == "-" {
            schema_set.validate_read(&mut std::io::stdin().lock(), &options)
        } else {
            match std::fs::File::open(file) {
                Ok(mut input) => schema_set.validate_read(&mut input, &options),
                Err(error) => {
                    eprintln!("{}: cannot read: {error}", file.display());
                    return ExitCode::from(2);
                }
            }
        };
        let outcome = match read {
            Ok(outcome) => outcome,
            Err(error) => {
                eprintln!("{}: cannot read: {error}", file.display());
                return ExitCode::from(2);
            }
        };
        all_valid &= outcome.is_valid();
        if json {
            let problems: Vec<_> = outcome
                .violations
                .iter()
                .map(|v| {
                    serde_json::json!({
                        "rule": v.rule, "line": v.line, "column": v.column,
                        "element_path": v.element_path, "message": v.message,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::json!({
                    "file": file.display().to_string(),
                    "valid": outcome.is_valid(),
                    "well_formed": outcome.well_formed,
                    "truncated": outcome.truncated,
                    "problems": problems,
                })
            );
        } else if outcome.is_valid() {
            println!("{}: valid", file.display());
        } else {
            println!("{}: invalid", file.display());
            for violation in &outcome.violations {
                println!("  {}:{violation}", file.display());
            }
            if outcome.truncated {
                println!("  (more problems not shown)");
            }
        }
    }
    // The process ends here: freeing a compiled schema set (tens of thousands of small
    // allocations for XBau) is work nobody waits for.
    std::mem::forget(schema_set);
    if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn compile_schemas(
    catalog: Option<&std::path::Path>,
    schemas: &[PathBuf],
) -> Result<xsd_validator::SchemaSet, ExitCode> {
    xsd_validator::SchemaSet::compile(schemas, catalog).map_err(|errors| {
        for error in &errors {
            eprintln!("{error}");
        }
        eprintln!("schema does not compile: {} error(s)", errors.len());
        ExitCode::from(2)
    })
}

fn map(
    mapping: &std::path::Path,
    catalog: Option<&std::path::Path>,
    schemas: &[PathBuf],
    file: &std::path::Path,
) -> ExitCode {
    let schema_set = match compile_schemas(catalog, schemas) {
        Ok(set) => set,
        Err(code) => return code,
    };
    let plan = match xoev_gateway::mapping::Plan::load(mapping) {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let input = match std::fs::read(file) {
        Ok(input) => input,
        Err(error) => {
            eprintln!("{}: cannot read: {error}", file.display());
            return ExitCode::from(2);
        }
    };
    let outcome = schema_set.validate(&input, &xsd_validator::ValidationOptions::default());
    if !outcome.is_valid() {
        for violation in &outcome.violations {
            eprintln!("{}:{violation}", file.display());
        }
        return ExitCode::FAILURE;
    }
    match plan.map_document(&input) {
        Ok(output) => {
            use std::io::Write;
            let mut stdout = std::io::stdout();
            let _ = stdout.write_all(&output);
            let _ = stdout.write_all(b"\n");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{}: {error}", file.display());
            // The operator's own data on their own terminal: the validator's full messages.
            for violation in error.output_violations() {
                eprintln!("  output {violation}");
            }
            ExitCode::FAILURE
        }
    }
}

fn sample(
    catalog: Option<&std::path::Path>,
    schemas: &[PathBuf],
    root: &str,
    options: xsd_validator::sample::SampleOptions,
) -> ExitCode {
    let schema_set = match compile_schemas(catalog, schemas) {
        Ok(set) => set,
        Err(code) => return code,
    };
    let (namespace, local): (Option<String>, &str) = match root
        .strip_prefix('{')
        .and_then(|r| r.split_once('}'))
    {
        Some((namespace, local)) => (Some(namespace.to_owned()).filter(|n| !n.is_empty()), local),
        None => {
            // Unqualified: the one global element of that local name, whatever its namespace.
            let candidates: Vec<Option<String>> = schema_set
                .global_elements()
                .filter(|e| e.name() == root)
                .map(|e| e.namespace().map(str::to_owned))
                .collect();
            match candidates.as_slice() {
                [only] => (only.clone(), root),
                [] => {
                    eprintln!("no global element {root:?} in the schema");
                    return ExitCode::from(2);
                }
                _ => {
                    eprintln!("{root:?} is ambiguous: give it as {{namespace}}{root}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    match xsd_validator::sample::generate(
        schema_set.model(),
        (namespace.as_deref(), local),
        &options,
    ) {
        Ok(document) => {
            print!("{document}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("cannot generate {root}: {error}");
            ExitCode::FAILURE
        }
    }
}

fn check(path: &std::path::Path) -> ExitCode {
    match gateway::prepare(path) {
        Ok(active) => {
            let config = &active.config;
            println!(
                "{}: ok ({} route(s), {} destination(s), {} schema set(s), {} sender(s))",
                path.display(),
                config.routes.len(),
                config.destinations.len(),
                config.schema_sets.len(),
                config.senders.len()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(path: PathBuf) -> anyhow::Result<ExitCode> {
    let active = match gateway::prepare(&path) {
        Ok(active) => active,
        Err(error) => {
            eprintln!("{error}");
            return Ok(ExitCode::FAILURE);
        }
    };
    telemetry::init_tracing(&active.config.telemetry);
    let mut bound = Vec::new();
    for listener in &active.config.listeners {
        bound.push(
            BoundListener::bind(listener)
                .await
                .with_context(|| format!("binding {}", listener.address))?,
        );
    }
    let gateway = Gateway::start(active)
        .await
        .context("starting the gateway")?;
    let router = ingress::router(Arc::clone(&gateway));
    let (stop, stopped) = watch::channel(false);
    let mut servers = Vec::new();
    for listener in bound {
        // One machine-readable line per listener: tests and scripts find the port here.
        println!("listening on {}", listener.url());
        tracing::info!(url = %listener.url(), "listening");
        servers.push(tokio::spawn(ingress::serve(
            listener,
            router.clone(),
            stopped.clone(),
            Duration::from_secs(30),
        )));
    }
    wait_for_termination(&gateway).await;
    tracing::info!("draining: refusing new submissions, finishing in-flight requests");
    gateway.start_draining();
    let _ = stop.send(true);
    for server in servers {
        let _ = server.await;
    }
    gateway.shutdown().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

#[cfg(unix)]
async fn wait_for_termination(gateway: &Gateway) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut terminate), Ok(mut interrupt), Ok(mut hangup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) else {
        tracing::error!("cannot install signal handlers; stopping");
        return;
    };
    loop {
        tokio::select! {
            _ = terminate.recv() => return,
            _ = interrupt.recv() => return,
            _ = hangup.recv() => match gateway.reload().await {
                Ok(()) => tracing::info!("configuration reloaded"),
                Err(error) => tracing::error!(
                    problems = %error,
                    "configuration reload refused; the previous configuration stays active"
                ),
            },
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_termination(_gateway: &Gateway) {
    let _ = tokio::signal::ctrl_c().await;
}

fn client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .context("building the HTTP client")
}

async fn submit(url: &str, token: Option<&str>, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let client = client()?;
    let endpoint = format!("{}/v1/submissions", url.trim_end_matches('/'));
    let mut all_accepted = true;
    for file in files {
        let body = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let mut request = client
            .post(&endpoint)
            .header("content-type", "application/xml")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("posting {}", file.display()))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        println!("{}\t{}\t{}", file.display(), status.as_u16(), text.trim());
        all_accepted &= status.is_success();
    }
    Ok(if all_accepted {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn dead_letters(action: DeadLetterAction) -> anyhow::Result<ExitCode> {
    let client = client()?;
    let with_token = |request: reqwest::RequestBuilder, token: &Option<String>| match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    match action {
        DeadLetterAction::List { url, token } => {
            let response = with_token(
                client.get(format!("{}/v1/dead-letters", url.trim_end_matches('/'))),
                &token,
            )
            .send()
            .await
            .context("listing dead letters")?;
            let ok = response.status().is_success();
            println!("{}", response.text().await.unwrap_or_default().trim());
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        DeadLetterAction::Replay { url, token, ids } => {
            let mut all_ok = true;
            for id in ids {
                let response = with_token(
                    client.post(format!(
                        "{}/v1/dead-letters/{id}/replay",
                        url.trim_end_matches('/')
                    )),
                    &token,
                )
                .send()
                .await
                .with_context(|| format!("replaying {id}"))?;
                let status = response.status();
                println!(
                    "{id}\t{}\t{}",
                    status.as_u16(),
                    response.text().await.unwrap_or_default().trim()
                );
                all_ok &= status.is_success();
            }
            Ok(if all_ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
