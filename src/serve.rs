//! The preview server (the only module that knows axum and tokio): serves the
//! output folder on loopback, injects a live-reload script into HTML, and
//! pushes rebuild results to open pages over Server-Sent Events.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
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
            changed: outcome.changed.len().saturating_sub(outcome.search_changed),
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
/// `first`: the outcome of the session's first run, or `None` when it is
/// still to be made (the output folder holds the last build, served while
/// it is brought up to date). `print` is told each outcome, and whether it
/// is the first run's.
pub fn run(
    mut session: Session,
    watcher: ArchiveWatcher,
    first: Option<&Outcome>,
    opts: ServeOptions,
    print: impl Fn(&Outcome, bool) + Send + 'static,
) -> Result<()> {
    let (events, _) = broadcast::channel(16);
    let shared = Arc::new(Shared {
        out: session.out().to_path_buf(),
        events,
        last: Mutex::new(first.map(Status::of)),
    });
    let pending_first = first.is_none();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let addr = SocketAddr::new(opts.bind, opts.port);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(addr))
        .map_err(|e| anyhow::anyhow!(bind_error(addr, &e)))?;
    let local = listener.local_addr()?;
    eprintln!(
        "serving {} at http://{}/  (Ctrl-C stops)",
        shared.out.display(),
        shown_addr(local)
    );
    if !opts.bind.is_loopback() {
        eprintln!(
            "warning: --bind {}: the archive is now visible to every computer that can reach this one on the network; use --bind 127.0.0.1 to keep it on this computer",
            opts.bind
        );
    }

    let watcher_shared = shared.clone();
    // Rebuilding runs on its own thread; if it cannot go on, the server
    // stops and the error goes back to the command like any other.
    let (stopped_tx, stopped) = tokio::sync::oneshot::channel::<anyhow::Error>();
    std::thread::spawn(move || {
        let told = |outcome: &Outcome, first: bool| {
            print(outcome, first);
            let status = Status::of(outcome);
            let mut last = watcher_shared.last.lock().expect("status lock");
            let recovered = last.as_ref().is_some_and(|l| l.kind == "problems");
            if status.kind == "problems" || status.changed > 0 || recovered {
                *last = Some(status.clone());
                let _ = watcher_shared.events.send(status);
            }
        };
        let result = (|| {
            if pending_first {
                // Pages open meanwhile reload if it changes anything.
                told(&session.run()?, true);
            }
            watch::run(session, watcher, |outcome| told(outcome, false))
        })();
        if let Err(e) = result {
            let _ = stopped_tx.send(e.context("watching stopped"));
        }
    });

    let hosts = Arc::new(Hosts::for_addr(local));
    let app = Router::new()
        .route(EVENTS_PATH, get(event_stream))
        .fallback(file)
        .with_state(shared)
        .layer(axum::middleware::from_fn_with_state(hosts, check_host));
    runtime.block_on(async move {
        tokio::select! {
            () = accept(listener, app) => Ok(()),
            Ok(e) = stopped => Err(e),
        }
    })
}

/// A connection whose request headers have not all arrived by then is
/// closed (a half-open or trickling one would otherwise stay for ever); the
/// same holds between the requests of a kept-alive connection.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once. A browser opens six or so per site (and one
/// for each open page's reload events); further ones wait to be accepted.
const MAX_CONNECTIONS: usize = 256;

/// Serves connections for ever, at most `MAX_CONNECTIONS` at a time.
async fn accept(listener: tokio::net::TcpListener, app: Router) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file handles, or a connection reset before it was
                // accepted: neither is the server's end.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(io, service)
                .await;
        });
    }
}

/// Why the server cannot listen, and what to do.
fn bind_error(addr: SocketAddr, e: &std::io::Error) -> String {
    let port = addr.port();
    let ip = addr.ip();
    match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "cannot listen on {}: another program uses port {port}; pass --port with another number (or --port 0 for any free port)",
            shown_addr(addr)
        ),
        std::io::ErrorKind::AddrNotAvailable => format!(
            "cannot listen on {}: {ip} is not an address of this computer; use --bind 127.0.0.1 (this computer only) or --bind 0.0.0.0 (every network it is on)",
            shown_addr(addr)
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "cannot listen on {}: ports below 1024 need administrator rights; pass --port 8000, for example",
            shown_addr(addr)
        ),
        _ => format!("cannot listen on {}: {e}", shown_addr(addr)),
    }
}

/// `127.0.0.1:8000`, `[::1]:8000`.
fn shown_addr(addr: SocketAddr) -> String {
    addr.to_string()
}

/// The `Host`s the server answers to. A page on another site can make the
/// browser send requests here under a name it controls (DNS rebinding);
/// answering only to the address the server listens on keeps it out.
#[derive(Debug)]
struct Hosts {
    port: u16,
    /// Host names (lower case, IPv6 in brackets) allowed with that port.
    names: Vec<String>,
    /// Listening on the network: any IP address of this computer will do.
    any_ip: bool,
}

impl Hosts {
    fn for_addr(local: SocketAddr) -> Hosts {
        let ip = local.ip();
        let literal = |ip: IpAddr| match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        };
        let mut names = vec!["localhost".to_string(), literal(ip)];
        let any_ip = !ip.is_loopback();
        if any_ip && let Some(h) = hostname() {
            names.push(h.to_lowercase());
        }
        Hosts {
            port: local.port(),
            names,
            any_ip,
        }
    }

    /// Whether a `Host` header (or a request's authority) names this server.
    fn allows(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let (name, port) = match host.rsplit_once(':') {
            Some((name, port)) if !port.contains(']') => (name, port.parse::<u16>().ok()),
            _ => (host.as_str(), Some(80)),
        };
        if port != Some(self.port) {
            return false;
        }
        let is_ip = name.parse::<std::net::Ipv4Addr>().is_ok()
            || name
                .strip_prefix('[')
                .and_then(|n| n.strip_suffix(']'))
                .is_some_and(|n| n.parse::<std::net::Ipv6Addr>().is_ok());
        self.names.iter().any(|n| n == name) || (self.any_ip && is_ip)
    }

    /// The address to tell a refused browser.
    fn shown(&self) -> String {
        match self.any_ip {
            true => format!("http://<this computer's IP address>:{}/", self.port),
            false => format!("http://{}:{}/", self.names[1], self.port),
        }
    }
}

/// This computer's name, for `--bind` on the network.
fn hostname() -> Option<String> {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at most that.
        let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if r != 0 {
            return None;
        }
        let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        String::from_utf8(buf[..end].to_vec())
            .ok()
            .filter(|h| !h.is_empty())
    }
    #[cfg(not(unix))]
    None
}

async fn check_host(
    axum::extract::State(hosts): axum::extract::State<Arc<Hosts>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    let authority = request.uri().authority().map(|a| a.as_str());
    let ok = match (host, authority) {
        (_, Some(a)) => hosts.allows(a),
        (Some(h), None) => hosts.allows(h),
        (None, None) => false,
    };
    if ok {
        return next.run(request).await;
    }
    let message = format!(
        "this preview answers only at the address it was opened at, {}\n",
        hosts.shown()
    );
    (StatusCode::FORBIDDEN, message).into_response()
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
    fn only_the_address_listened_on_is_answered() {
        let local = Hosts::for_addr("127.0.0.1:8000".parse().unwrap());
        for ok in ["127.0.0.1:8000", "localhost:8000", "LOCALHOST:8000"] {
            assert!(local.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example:8000",
            "127.0.0.1",
            "127.0.0.1:80",
            "localhost",
            "127.0.0.2:8000",
            "[::1]:8000",
            "192.168.1.5:8000",
            "localhost.evil.example:8000",
            "",
        ] {
            assert!(!local.allows(bad), "{bad}");
        }
        let v6 = Hosts::for_addr("[::1]:8000".parse().unwrap());
        assert!(v6.allows("[::1]:8000") && v6.allows("localhost:8000"));
        assert!(!v6.allows("127.0.0.1:8000"));
        let network = Hosts::for_addr("0.0.0.0:8000".parse().unwrap());
        assert!(network.allows("192.168.1.5:8000") && network.allows("[fe80::1]:8000"));
        assert!(
            !network.allows("evil.example:8000"),
            "a name is not an address"
        );
        assert!(!network.allows("192.168.1.5:8001"));
    }

    #[test]
    fn a_new_search_index_alone_reloads_no_page() {
        let mut o = Outcome::nothing(PathBuf::from("public"));
        o.changed = vec!["_search/meta.js".into(), "_search/p/0/3.js".into()];
        o.search_changed = 2;
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
