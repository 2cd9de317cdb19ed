-- migrate:up
reassign owned by old_app to app;
