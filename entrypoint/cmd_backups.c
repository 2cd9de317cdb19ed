/* cmd_backups: placeholder until its issue lands. */
#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"

CMD(backups)
{
	(void)cfg;
	(void)args;
	log_error("\"backups\" is not built yet");
	return EXIT_INTERNAL;
}
