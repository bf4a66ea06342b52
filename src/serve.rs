//! The preview server (the only module that knows axum and tokio): serves the
//! output folder on loopback, injects a live-reload script into HTML, and
//! pushes rebuild results to open pages over Server-Sent Events.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::broadcast;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use crate::build::{Outcome, Session};
use crate::watch::{self, ArchiveWatcher};

const EVENTS_PATH: &str = "/__dangan/events";

/// The script every served HTML page gets (never written to the output).
const RELOAD_SNIPPET: &str = include_str!("serve_reload.html");

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub bind: std::net::IpAddr,
    pub port: u16,
}

/// What the open pages are told after a rebuild.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    /// "reload" after a good rebuild, "problems" while the archive has errors.
    pub kind: &'static str,
    pub problems: Vec<String>,
    pub changed: usize,
}

impl Status {
    pub fn of(outcome: &Outcome) -> Status {
        let problems: Vec<String> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.render())
            .collect();
        Status {
            kind: if problems.is_empty() {
                "reload"
            } else {
                "problems"
            },
            problems,
            // The page in the browser needs no reload for a new search index.
            changed: outcome
                .changed
                .iter()
                .filter(|p| !p.starts_with("_search/"))
                .count(),
        }
    }
}

struct Shared {
    out: PathBuf,
    events: broadcast::Sender<Status>,
    /// The last status, for pages that connect while there are problems.
    last: Mutex<Option<Status>>,
}

/// Serves `session`'s output and rebuilds on changes until the process ends.
pub fn run(
    session: Session,
    watcher: ArchiveWatcher,
    first: &Outcome,
    opts: ServeOptions,
    print: impl Fn(&Outcome) + Send + 'static,
) -> Result<()> {
    let (events, _) = broadcast::channel(16);
    let shared = Arc::new(Shared {
        out: session.out().to_path_buf(),
        events,
        last: Mutex::new(Some(Status::of(first))),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let addr = SocketAddr::new(opts.bind, opts.port);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(addr))
        .with_context(|| format!("cannot listen on {addr}; is another program using port {}? Pass --port with another number", opts.port))?;
    let local = listener.local_addr()?;
    eprintln!(
        "serving {} at http://{local}/  (Ctrl-C stops)",
        shared.out.display()
    );

    let watcher_shared = shared.clone();
    std::thread::spawn(move || {
        let result = watch::run(session, watcher, |outcome| {
            print(outcome);
            let status = Status::of(outcome);
            let mut last = watcher_shared.last.lock().expect("status lock");
            let recovered = last.as_ref().is_some_and(|l| l.kind == "problems");
            if status.kind == "problems" || status.changed > 0 || recovered {
                *last = Some(status.clone());
                let _ = watcher_shared.events.send(status);
            }
        });
        if let Err(e) = result {
            eprintln!("error: watching stopped: {e:#}");
            std::process::exit(crate::cli::EXIT_ENV);
        }
    });

    let app = Router::new()
        .route(EVENTS_PATH, get(event_stream))
        .fallback(file)
        .with_state(shared);
    runtime
        .block_on(async move { axum::serve(listener, app).await })
        .context("the server stopped")
}

async fn event_stream(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    let initial = shared
        .last
        .lock()
        .expect("status lock")
        .clone()
        .filter(|s| s.kind == "problems");
    let updates = BroadcastStream::new(shared.events.subscribe()).filter_map(Result::ok);
    let stream = tokio_stream::iter(initial).chain(updates).map(|s| {
        Ok(Event::default()
            .event(s.kind)
            .data(serde_json::to_string(&s).unwrap_or_default()))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn file(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
    method: Method,
    uri: Uri,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD").into_response();
    }
    let target = match resolve(&shared.out, uri.path()) {
        Ok(p) => p,
        Err(Refused) => {
            return (
                StatusCode::FORBIDDEN,
                "this path is outside the site and is refused",
            )
                .into_response();
        }
    };
    let found = match &target {
        Some(p) => tokio::fs::read(p).await.ok().map(|b| (p.clone(), b)),
        None => None,
    };
    let (status, path, bytes) = match found {
        Some((p, b)) => (StatusCode::OK, p, b),
        None => {
            let p = shared.out.join("404.html");
            let b = tokio::fs::read(&p)
                .await
                .unwrap_or_else(|_| b"<h1>404</h1>".to_vec());
            (StatusCode::NOT_FOUND, p, b)
        }
    };
    let mime = mime_guess::from_path(&path).first_or_octet_stream();
    let is_html = mime.essence_str() == "text/html";
    let mut content_type = mime.essence_str().to_string();
    if mime.type_() == "text" || content_type == "application/javascript" {
        content_type.push_str("; charset=utf-8");
    }
    let body = if is_html {
        inject(bytes, status == StatusCode::NOT_FOUND)
    } else {
        bytes
    };
    let mut response = Response::new(if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(body)
    });
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

struct Refused;

/// The file a request path names inside `out`, `None` if there is none.
/// Anything that could leave the folder is refused: `..` (also percent-encoded),
/// backslashes, NUL, drive letters, and symbolic links anywhere on the way.
fn resolve(out: &Path, raw_path: &str) -> Result<Option<PathBuf>, Refused> {
    let decoded = percent_encoding::percent_decode_str(raw_path)
        .decode_utf8()
        .map_err(|_| Refused)?;
    if decoded.contains(['\\', '\0']) {
        return Err(Refused);
    }
    let mut path = out.to_path_buf();
    for seg in decoded.split('/') {
        match seg {
            "" => {}
            "." | ".." => return Err(Refused),
            s if s.contains(':') => return Err(Refused),
            s => path.push(s),
        }
    }
    if path.is_dir() {
        path.push("index.html");
    }
    let Ok(real) = path.canonicalize() else {
        return Ok(None);
    };
    let Ok(out_real) = out.canonicalize() else {
        return Ok(None);
    };
    if real != path && real.strip_prefix(&out_real).ok() != path.strip_prefix(out).ok() {
        return Err(Refused); // a symbolic link on the way
    }
    Ok(real.is_file().then_some(real))
}

/// Adds the live-reload script; the 404 page also gets a base so its links work from any depth.
fn inject(bytes: Vec<u8>, not_found: bool) -> Vec<u8> {
    let Ok(mut html) = String::from_utf8(bytes.clone()) else {
        return bytes;
    };
    if not_found && let Some(i) = html.find("<head>") {
        html.insert_str(i + "<head>".len(), "<base href=\"/\">");
    }
    match html.rfind("</body>") {
        Some(i) => html.insert_str(i, RELOAD_SNIPPET),
        None => html.push_str(RELOAD_SNIPPET),
    }
    html.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_search_index_alone_reloads_no_page() {
        let mut o = Outcome::nothing(PathBuf::from("public"));
        o.changed = vec!["_search/meta.js".into(), "_search/p/0/3.js".into()];
        assert_eq!(Status::of(&o).changed, 0);
        o.changed.push("2020/a.html".into());
        assert_eq!(Status::of(&o).changed, 1);
    }

    #[test]
    fn paths_that_leave_the_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        std::fs::create_dir_all(out.join("单位")).unwrap();
        std::fs::write(out.join("单位/甲.html"), "x").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "s").unwrap();
        for bad in [
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E%2Fsecret.txt",
            "/a\\..\\secret.txt",
            "/a%5c..%5csecret.txt",
            "/C:/x",
        ] {
            assert!(resolve(&out, bad).is_err(), "{bad} must be refused");
        }
        let ok = resolve(&out, "/%E5%8D%95%E4%BD%8D/%E7%94%B2.html")
            .ok()
            .flatten();
        assert_eq!(ok, Some(out.join("单位/甲.html").canonicalize().unwrap()));
        assert_eq!(resolve(&out, "/nothing.html").ok().flatten(), None);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.txt"), out.join("link.txt"))
                .unwrap();
            assert!(resolve(&out, "/link.txt").is_err(), "symlinks are refused");
        }
    }
}
