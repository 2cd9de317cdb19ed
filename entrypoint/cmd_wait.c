/* cmd_wait: `predeploy wait`: wait until the database accepts connections
 * (backoff, bounded by --wait-timeout; 69 when it never does, 77 on an
 * authentication failure). */
#include "cmd.h"
#include "log.h"
#include "util/banned.h"

CMD(wait)
{
	struct db db = DB_INIT;
	int rc;

	(void)args;
	rc = connect_db(cfg, &db, cfg->wait_timeout_ms);
	if (!rc)
		log_info("database \"%s\" is accepting connections (server %d)", db.dbname,
			 db.server_version);
	db_close(&db);
	return rc;
}
