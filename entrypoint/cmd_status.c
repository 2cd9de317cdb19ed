/* cmd_status: placeholder until its issue lands. */
#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"
const struct cmd_opt opts_status[] = { { NULL, 0, NULL } };

CMD(status)
{
	(void)cfg;
	(void)args;
	log_error("\"status\" is not built yet");
	return EXIT_INTERNAL;
}
