SELECT $$ never closed;
