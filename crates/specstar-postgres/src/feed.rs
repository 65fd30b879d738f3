//! The change feed on PostgreSQL: its pages, and the wake-up of watchers across processes.
//!
//! Pages are one statement (shared with SQLite, see `specstar_sql::feed`) over the sequence
//! numbers the writes hand out in commit order (see [`write`](crate::write)): the source of
//! truth. LISTEN/NOTIFY is only a hint on top, so that a watcher in one process sees another
//! process's writes at once rather than at its next poll:
//!
//! - after each local commit the store raises its [`FeedSignal`] (local watchers wake) and
//!   wakes the **notifier** task, which sends one `pg_notify` for all the commits of the last
//!   few milliseconds, from a pool connection and outside every write transaction, so that
//!   writers never queue on PostgreSQL's notification lock;
//! - the **listener** task, started when the first watcher asks for the signal, holds one
//!   connection of its own in `LISTEN` and raises the signal for other processes'
//!   notifications (its own carry this process's id and are skipped). When the connection
//!   drops it reconnects with a growing pause; meanwhile watchers poll, as they always do at
//!   [`POLL_INTERVAL`](specstar_core::feed::POLL_INTERVAL).

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Client, Pool};
use futures_util::StreamExt;
use parking_lot::Mutex;
use specstar_core::{Error, FeedEvent, FeedSignal, ModelFilter, Result};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_postgres::AsyncMessage;
use tokio_postgres::types::ToSql;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::connection;
use crate::rows::PgRow;

/// How long the notifier gathers commits into one notification.
const COALESCE: Duration = Duration::from_millis(10);

/// The longest pause between two attempts to reconnect the listener.
const MAX_RECONNECT_PAUSE: Duration = Duration::from_secs(30);

/// Reads a page of the feed.
pub(crate) async fn changes(
    client: &Client,
    since: u64,
    limit: usize,
    filter: &ModelFilter,
) -> Result<Vec<FeedEvent>> {
    let sql = specstar_sql::feed::changes_sql(|i| format!("${i}"), filter);
    let stmt = client.prepare_cached(&sql).await.map_err(Error::store)?;
    let since = specstar_sql::int::saturating(since);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let bounds = specstar_sql::feed::model_bounds(filter);
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&since, &limit];
    params.extend(bounds.iter().map(|b| b as &(dyn ToSql + Sync)));
    let rows = client.query(&stmt, &params).await.map_err(Error::store)?;
    rows.iter()
        .map(|row| specstar_sql::feed::decode_event(&PgRow(row)))
        .collect()
}

/// The store's feed signal and the tasks that carry it between processes.
pub(crate) struct FeedHub {
    signal: FeedSignal,
    /// Wakes the notifier.
    committed: Arc<Notify>,
    channel: String,
    /// This process's mark on its notifications.
    origin: String,
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    notifier: JoinHandle<()>,
    listener: Mutex<Option<JoinHandle<()>>>,
}

impl FeedHub {
    /// Starts the notifier (on the current runtime) for the store in `schema`.
    pub(crate) fn start(
        pool: Pool,
        schema: &str,
        config: tokio_postgres::Config,
        tls: MakeRustlsConnect,
    ) -> Self {
        let channel = format!("specstar_feed.{schema}");
        let origin = uuid::Uuid::now_v7().simple().to_string();
        let committed = Arc::new(Notify::new());
        let notifier = tokio::spawn(notify(
            pool,
            committed.clone(),
            channel.clone(),
            origin.clone(),
        ));
        Self {
            signal: FeedSignal::new(),
            committed,
            channel,
            origin,
            config,
            tls,
            notifier,
            listener: Mutex::new(None),
        }
    }

    /// After a local commit of event `sequence`.
    pub(crate) fn committed(&self, sequence: u64) {
        self.signal.raise(sequence);
        self.committed.notify_one();
    }

    /// The signal, with the listener started (once, when a runtime is at hand).
    pub(crate) fn signal(&self) -> FeedSignal {
        let mut listener = self.listener.lock();
        if listener.is_none()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            *listener = Some(runtime.spawn(listen(
                self.config.clone(),
                self.tls.clone(),
                self.channel.clone(),
                self.origin.clone(),
                self.signal.clone(),
            )));
        }
        self.signal.clone()
    }
}

impl Drop for FeedHub {
    fn drop(&mut self) {
        self.notifier.abort();
        if let Some(listener) = self.listener.lock().take() {
            listener.abort();
        }
    }
}

/// The notifier task: one `pg_notify` per burst of local commits.
async fn notify(pool: Pool, committed: Arc<Notify>, channel: String, origin: String) {
    loop {
        committed.notified().await;
        tokio::time::sleep(COALESCE).await;
        let sent = async {
            let client = connection(&pool).await?;
            client
                .execute("SELECT pg_notify($1, $2)", &[&channel, &origin])
                .await
                .map_err(Error::store)
        };
        if let Err(error) = sent.await {
            // Other processes' watchers then see these commits at their next poll.
            tracing::debug!(%error, "the change feed's notification was not sent");
        }
    }
}

/// The listener task: raises the signal for other processes' notifications, reconnecting
/// when its connection drops.
async fn listen(
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    channel: String,
    origin: String,
    signal: FeedSignal,
) {
    let mut pause = Duration::from_millis(250);
    loop {
        match listen_once(&config, tls.clone(), &channel, &origin, &signal).await {
            Ok(()) => pause = Duration::from_millis(250),
            Err(error) => tracing::warn!(%error, "the change feed's listener lost its connection"),
        }
        // Whatever came meanwhile, watchers read it now.
        signal.raise_unknown();
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_RECONNECT_PAUSE);
    }
}

/// One connection's worth of listening: returns when the connection ends.
async fn listen_once(
    config: &tokio_postgres::Config,
    tls: MakeRustlsConnect,
    channel: &str,
    origin: &str,
    signal: &FeedSignal,
) -> std::result::Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(tls).await?;
    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
    let quoted = format!("LISTEN \"{}\"", channel.replace('"', "\"\""));
    let listening = client.batch_execute(&quoted);
    tokio::pin!(listening);
    // The connection must be polled for the LISTEN to complete.
    loop {
        tokio::select! {
            done = &mut listening => { done?; break; }
            message = messages.next() => match message {
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error),
                None => return Ok(()),
            },
        }
    }
    tracing::debug!(channel, "listening for the change feed's notifications");
    signal.raise_unknown();
    while let Some(message) = messages.next().await {
        if let AsyncMessage::Notification(note) = message?
            && note.payload() != origin
        {
            signal.raise_unknown();
        }
    }
    Ok(())
}
