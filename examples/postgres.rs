//! PostgreSQL: several server processes, on several machines, sharing one database.
//!
//! ```text
//! SPECSTAR_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo run --features postgres --example postgres
//! ```
//!
//! The store creates (or upgrades) its tables at start-up, in a schema of its own if asked.
//! Every process connected to the same database and schema sees the same resources, and of
//! writers racing from one revision exactly one wins, whichever processes they run in: this
//! example races two managers, as two processes would, and shows the loser's conflict.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specstar::{DATABASE_URL_VAR, Error, PostgresOptions, Schema, Spec};

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
struct Account {
    owner: String,
    balance: i64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var(DATABASE_URL_VAR)
        .map_err(|_| format!("set {DATABASE_URL_VAR} to a PostgreSQL URL"))?;
    let options = PostgresOptions::new(&url)?
        .schema("specstar_example")?
        .pool_size(4);
    let spec = Spec::connect_with(options).await?;
    spec.add_model(Schema::<Account>::new("v1").index("owner"))
        .await?;
    let mgr = spec.resource_manager::<Account>()?;

    let opened = mgr
        .create(Account {
            owner: "alice".into(),
            balance: 100,
        })
        .await?;
    let id = &opened.resource_id;
    let current = &opened.revision_id;

    // Two tellers read revision 1 and both try to write from it: exactly one wins.
    let teller_a = mgr.as_user("teller-a");
    let teller_b = mgr.as_user("teller-b");
    let (a, b) = tokio::join!(
        teller_a.update_if(
            id,
            Account {
                owner: "alice".into(),
                balance: 70
            },
            current
        ),
        teller_b.update_if(
            id,
            Account {
                owner: "alice".into(),
                balance: 150
            },
            current
        ),
    );
    for (teller, outcome) in [("a", a), ("b", b)] {
        match outcome {
            Ok(info) => println!("teller {teller} wrote {}", info.revision_id),
            Err(Error::Conflict { expected, actual }) => {
                println!(
                    "teller {teller} lost: expected {expected}, found {actual}; nothing written"
                );
            }
            Err(other) => return Err(other.into()),
        }
    }
    for revision in mgr.list_revisions(id).await? {
        println!(
            "{} {} by {}",
            revision.revision_id,
            revision.action.as_str(),
            revision.created_by
        );
    }
    mgr.permanently_delete(id).await?;
    Ok(())
}
