/* cmd_up: placeholder until its issue lands. */
#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"
const struct cmd_opt opts_up[] = { { NULL, 0, NULL } };

CMD(up)
{
	(void)cfg;
	(void)args;
	log_error("\"up\" is not built yet");
	return EXIT_INTERNAL;
}
