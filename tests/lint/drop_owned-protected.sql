-- golden-args: --protect billing.invoices
-- migrate:up
-- predeploy:allow drop_owned role retired
drop owned by old_app;
