//! apply(plan, client): runs a plan's steps against PCC in dependency order, idempotently.
