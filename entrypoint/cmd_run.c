/* cmd_run: placeholder until its issue lands. */
#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"
const struct cmd_opt opts_run[] = { { NULL, 0, NULL } };

CMD(run)
{
	(void)cfg;
	(void)args;
	log_error("\"run\" is not built yet");
	return EXIT_INTERNAL;
}
