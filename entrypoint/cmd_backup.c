/* cmd_backup: placeholder until its issue lands. */
#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"

CMD(backup)
{
	(void)cfg;
	(void)args;
	log_error("\"backup\" is not built yet");
	return EXIT_INTERNAL;
}
