/* cmd_restore: placeholder until its issue lands. */
#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"
const struct cmd_opt opts_restore[] = { { NULL, 0, NULL } };

CMD(restore)
{
	(void)cfg;
	(void)args;
	log_error("\"restore\" is not built yet");
	return EXIT_INTERNAL;
}
