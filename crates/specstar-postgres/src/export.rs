//! An export: everything in the schema, read from one snapshot, as a stream.
//!
//! The export holds one pooled connection in a `REPEATABLE READ READ ONLY` transaction, whose
//! snapshot is taken before [`start`] returns, so that nothing committed afterwards is in it
//! while writers go on. A task of its own pages the heads by resource id and reads each
//! resource's revisions, sending one resource at a time through a small bounded channel: it
//! reads only as fast as the consumer takes, and stops when the stream is dropped.

use deadpool_postgres::{Client, Pool};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use specstar_core::{Error, Exported, Result, StoredResource};
use specstar_sql::head_columns;
use specstar_sql::rows::{decode_head, decode_id, decode_purge};
use tokio::sync::mpsc;

use crate::rows::PgRow;
use crate::{connection, read};

/// How many resources may wait in the channel for the consumer.
const BUFFER: usize = 16;
/// How many heads, or purge events, one statement reads.
const PAGE: i64 = 200;

/// Starts an export; the snapshot is taken when this returns.
///
/// # Errors
/// When no connection can be had or the transaction cannot begin.
pub(crate) async fn start(pool: &Pool) -> Result<BoxStream<'static, Result<Exported>>> {
    let client = connection(pool).await?;
    // The first statement after BEGIN takes the snapshot.
    client
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1")
        .await
        .map_err(Error::store)?;
    let (sender, receiver) = mpsc::channel(BUFFER);
    tokio::spawn(async move {
        if let Err(error) = export(&client, &sender).await {
            let _ = sender.send(Err(error)).await;
        }
        if client.batch_execute("COMMIT").await.is_err() {
            drop(deadpool_postgres::Object::take(client));
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    Ok(stream.boxed())
}

/// Sends every resource, then every purge event; stops early (with `Ok`) when the consumer
/// is gone.
async fn export(client: &Client, sender: &mpsc::Sender<Result<Exported>>) -> Result<()> {
    const HEADS: &str = concat!(
        "SELECT h.resource_id, ",
        head_columns!(),
        " FROM heads h WHERE h.resource_id > $1 ORDER BY h.resource_id LIMIT $2"
    );
    let heads = client.prepare_cached(HEADS).await.map_err(Error::store)?;
    let mut after = String::new();
    loop {
        let rows = client
            .query(&heads, &[&after, &PAGE])
            .await
            .map_err(Error::store)?;
        let Some(last) = rows.last() else { break };
        after = last.try_get(0).map_err(Error::store)?;
        for row in &rows {
            let row = PgRow(row);
            let id = decode_id(&row, 0, || "a head".to_owned())?;
            let head = decode_head(&id, &row, 1)?;
            let revisions = read::with_data(client, &id, 0, u64::MAX)
                .await?
                .ok_or_else(|| Error::Corrupt {
                    what: format!("resource {id}"),
                    reason: "its head vanished within one snapshot".into(),
                })?;
            let resource = Exported::Resource(StoredResource { head, revisions });
            if sender.send(Ok(resource)).await.is_err() {
                return Ok(());
            }
        }
    }
    purges(client, sender).await
}

async fn purges(client: &Client, sender: &mpsc::Sender<Result<Exported>>) -> Result<()> {
    const PURGES: &str = "SELECT resource_id, created_time, created_by, sequence FROM purges \
         WHERE sequence > $1 ORDER BY sequence LIMIT $2";
    let purges = client.prepare_cached(PURGES).await.map_err(Error::store)?;
    let mut after = 0_i64;
    loop {
        let rows = client
            .query(&purges, &[&after, &PAGE])
            .await
            .map_err(Error::store)?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.try_get(3).map_err(Error::store)?;
        for row in &rows {
            let row = PgRow(row);
            let id = decode_id(&row, 0, || "a purge event".to_owned())?;
            let event = decode_purge(id, &row, 1)?;
            if sender.send(Ok(Exported::Purge(event))).await.is_err() {
                return Ok(());
            }
        }
    }
}
